// Type-ahead for the console's forms, on top of fields that work without it.
// - A member field (data-pick="member") offers the members matching what is
//   typed — a name, a card number, a phone tail (an ID tail where the caller
//   may see whole numbers) — from /members/pick; choosing one writes
//   "姓名（编号 N）", which the form reads.
// - A picker of unions (a select named …org_id with many options) gets a box
//   above it that narrows the options to those whose name holds what is typed.
(function () {
  var n = 0;
  // Digits alone are looked up only at lengths that mean something (a phone
  // or ID tail, a whole phone or ID number), so typing a number does not
  // spend the account's daily allowance of such searches on its prefixes.
  function worthAsking(q) {
    if (!/^\d+$/.test(q)) return q.length > 0;
    return [4, 6, 11, 18].indexOf(q.length) >= 0;
  }
  document.querySelectorAll('input[data-pick="member"]').forEach(function (input) {
    var list = document.createElement("datalist");
    list.id = "pick-members-" + (++n);
    input.setAttribute("list", list.id);
    input.setAttribute("autocomplete", "off");
    input.after(list);
    var timer = null, asked = "";
    input.addEventListener("input", function () {
      clearTimeout(timer);
      var q = input.value.trim();
      if (q === asked || /（编号 \d+）$/.test(q) || !worthAsking(q)) return;
      timer = setTimeout(function () {
        asked = q;
        fetch("/members/pick?q=" + encodeURIComponent(q), { credentials: "same-origin" })
          .then(function (r) { return r.ok ? r.json() : []; })
          .then(function (offers) {
            list.innerHTML = "";
            offers.forEach(function (o) {
              var opt = document.createElement("option");
              opt.value = o.value;
              opt.label = o.label;
              opt.textContent = o.label;
              list.appendChild(opt);
            });
          })
          .catch(function () {});
      }, 350);
    });
  });
  document.querySelectorAll('select[name$="org_id"]').forEach(function (select) {
    if (select.options.length <= 15) return;
    var box = document.createElement("input");
    box.type = "search";
    box.placeholder = "输入名称筛选组织";
    box.className = "org-filter";
    box.setAttribute("aria-label", "筛选组织");
    select.before(box);
    // Enter in the box picks, it does not send the form.
    box.addEventListener("keydown", function (e) {
      if (e.key === "Enter") e.preventDefault();
    });
    box.addEventListener("input", function () {
      var q = box.value.trim();
      var first = null;
      Array.prototype.forEach.call(select.options, function (o) {
        var hit = !q || o.value === "" || o.text.indexOf(q) >= 0;
        o.hidden = !hit;
        if (hit && !first && o.value !== "") first = o;
      });
      if (q && first) select.value = first.value;
    });
  });
})();
