// The organisation tree folds: each node with children gets a ▸/▾ button that
// hides or shows its branch (the rows after it that are deeper); at first only
// the top two levels show. The search box shows the nodes whose name or code
// matches, with the way down to them. Without JavaScript the whole tree shows.
(function () {
  var tree = document.getElementById("org-tree");
  if (!tree) return;
  var rows = Array.prototype.slice.call(tree.children);
  var depth = rows.map(function (li) { return +li.dataset.depth; });
  var open = rows.map(function (_, i) { return depth[i] < 1; });
  function hasChildren(i) { return i + 1 < rows.length && depth[i + 1] > depth[i]; }
  function layout() {
    // A row shows when every ancestor is open.
    var stack = [];
    rows.forEach(function (li, i) {
      while (stack.length && depth[stack[stack.length - 1]] >= depth[i]) stack.pop();
      var shown = stack.every(function (a) { return open[a]; });
      li.hidden = !shown;
      var b = li.querySelector("button.fold");
      if (hasChildren(i)) {
        b.hidden = false;
        b.textContent = open[i] ? "▾" : "▸";
        b.setAttribute("aria-expanded", open[i] ? "true" : "false");
      }
      stack.push(i);
    });
  }
  rows.forEach(function (li, i) {
    li.querySelector("button.fold").addEventListener("click", function () {
      open[i] = !open[i];
      layout();
    });
  });
  var find = document.getElementById("tree-find");
  var found = document.getElementById("tree-found");
  find.addEventListener("input", function () {
    var q = find.value.trim().toLowerCase();
    if (!q) {
      open = rows.map(function (_, i) { return depth[i] < 1; });
      found.textContent = "";
      layout();
      return;
    }
    // Show matches and their ancestors; close everything else.
    var show = rows.map(function () { return false; });
    var stack = [], hits = 0;
    rows.forEach(function (li, i) {
      while (stack.length && depth[stack[stack.length - 1]] >= depth[i]) stack.pop();
      if ((li.dataset.find || "").toLowerCase().indexOf(q) >= 0) {
        hits++;
        show[i] = true;
        stack.forEach(function (a) { show[a] = true; });
      }
      stack.push(i);
    });
    rows.forEach(function (li, i) {
      li.hidden = !show[i];
      open[i] = show[i];
    });
    found.textContent = hits ? "找到 " + hits + " 个组织" : "没有找到名称或代码含“" + find.value.trim() + "”的组织";
  });
  layout();
})();
