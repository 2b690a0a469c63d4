"""Schemathesis hooks for .ci/schemathesis: give the fuzzer the demo's real ids.

A schema can say that `org_id` is an integer, not which integers name a union
the caller may write at; without real ids nearly every generated request is
refused as "not found" and the fuzzer never reaches the code behind it. So,
for most cases, references (path ids and `*_id` fields) are swapped for ids
read from the running demo, and the checked numbers (ID number GB 11643,
credit code GB 32100) for valid ones. The other cases go out as generated.
"""

import json
import os
import random
import time
import urllib.request

import schemathesis
import schemathesis.engine.observations as _observations

# Schemathesis 4.x scans response strings for links and dies on one that
# looks like a broken URL ("http://[…", stored earlier by the fuzzer itself):
# such a string is simply not a link.
_same_origin_path = _observations._same_origin_path


def _same_origin_path_or_none(value, origin):
    try:
        return _same_origin_path(value, origin)
    except ValueError:
        return None


_observations._same_origin_path = _same_origin_path_or_none

BASE = os.environ["GONGJIANG_URL"].rstrip("/")
TOKEN = os.environ["GONGJIANG_TOKEN"]
SHARE = 0.8  # of cases whose references are made real
# Its own generator: Hypothesis warns about the shared one inside strategies.
_rng = random.Random()


def _get(path):
    req = urllib.request.Request(BASE + path, headers={"Authorization": "Bearer " + TOKEN})
    with urllib.request.urlopen(req, timeout=10) as r:
        return json.load(r)


def _ids(path, key="id"):
    try:
        return [i[key] for i in _get(path)["items"] if i.get(key) is not None]
    except Exception:
        return []


IDS = {
    "orgs": _ids("/api/v1/orgs?per_page=200"),
    "members": _ids("/api/v1/members?per_page=200"),
    "cadres": _ids("/api/v1/cadres"),
    "items": _ids("/api/v1/catalog/items"),
    "courses": _ids("/api/v1/courses"),
    "academies": _ids("/api/v1/academies"),
    "enterprises": _ids("/api/v1/enterprises?per_page=200"),
    "cadre_items": _ids("/api/v1/cadre-points/items"),
    "accounts": _ids("/api/v1/accounts"),
}
def _sessions(course):
    try:
        return [s["id"] for s in _get(f"/api/v1/courses/{course}")["sessions"]]
    except Exception:
        return []


IDS["sessions"] = [s for c in IDS["courses"][:10] for s in _sessions(c)]
def _lessons(course):
    try:
        return [i["lesson"]["id"] for i in _get(f"/api/v1/courses/{course}/lessons")["items"]]
    except Exception:
        return []


IDS["lessons"] = [lesson for c in IDS["courses"][:10] for lesson in _lessons(c)]
def _items(path):
    try:
        return _get(path)["items"]
    except Exception:
        return []


class Live:
    """Pairs that hold together in the demo as it is now: the fuzzer itself
    moves members, stops cadres and replaces rules, so they are read again
    every few seconds rather than once."""

    def __init__(self):
        self.read_at = 0.0
        self.refresh()

    def refresh(self):
        orgs = _items("/api/v1/orgs?per_page=200")
        # Where each kind of campus may be set up (academy rules): main campuses
        # at federations and industry unions, branches at enterprise and joint unions.
        self.campus_orgs = {
            "main": [o["id"] for o in orgs if "总工会" in o["kind"] or "产业工会" in o["kind"]],
            "branch": [o["id"] for o in orgs if o["kind"] in ("企业工会", "联合工会")],
        }
        # Active cadres, each with the active items offered to its union.
        self.cadre_items = {}
        for cadre in _items("/api/v1/cadres"):
            if cadre.get("active"):
                path = f"/api/v1/cadre-points/items?org_id={cadre['org_id']}"
                offered = [i["id"] for i in _items(path) if i.get("active")]
                if offered:
                    self.cadre_items[cadre["id"]] = offered
        # A few members of each union's subtree, and members whose unions have
        # earning rules (with the codes).
        self.org_members, self.member_rules = {}, {}
        for org in orgs:
            members = _items(f"/api/v1/members?org_id={org['id']}&per_page=5")
            if members:
                self.org_members[org["id"]] = [m["id"] for m in members]
            for member in members[:2]:
                rules = _items(f"/api/v1/points/rules?member_id={member['id']}")
                codes = [r["code"] for r in rules if r.get("active")]
                if codes:
                    self.member_rules[member["id"]] = codes
        # Each campus with members of its union's subtree (its staff come from there).
        self.academy_members = {
            a["id"]: self.org_members[a["org_id"]]
            for a in _items("/api/v1/academies")
            if a.get("org_id") in self.org_members
        }
        self.read_at = time.monotonic()

    def now(self):
        if time.monotonic() - self.read_at > 10:
            self.refresh()
        return self


LIVE = Live()
CATEGORIES = ["职业技能", "办公技能", "文化艺术", "思想政治"]
SKILL_LEVELS = ["初级工", "中级工", "高级工", "技师", "高级技师"]

# The path's resource (its segments before `{id}`) → the ids it takes.
PATH_IDS = {
    "orgs": "orgs",
    "members": "members",
    "cadres": "cadres",
    "catalog/items": "items",
    "courses": "courses",
    "academies": "academies",
    "enterprises": "enterprises",
    "cadre-points/items": "cadre_items",
    "accounts": "accounts",
    "sessions": "sessions",
    "lessons": "lessons",
}
FIELD_IDS = {
    "org_id": "orgs",
    "to_org_id": "orgs",
    "parent_id": "orgs",
    "member_id": "members",
    "teacher_member_id": "members",
    "cadre_id": "cadres",
    "item_id": "cadre_items",
    "enterprise_id": "enterprises",
    "account_id": "accounts",
}


def _id_number():
    """A valid 18-character resident ID number (GB 11643)."""
    body = "330212" + f"{_rng.randint(1960, 2004)}{_rng.randint(1, 12):02d}{_rng.randint(1, 28):02d}"
    body += f"{_rng.randint(0, 999):03d}"
    weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    check = "10X98765432"[sum(int(d) * w for d, w in zip(body, weights)) % 11]
    return body + check


def _credit_code():
    """A valid unified social credit code (GB 32100)."""
    chars = "0123456789ABCDEFGHJKLMNPQRTUWXY"
    body = "913302" + "".join(_rng.choice("0123456789") for _ in range(11))
    weights = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28]
    c = 31 - sum(chars.index(ch) * w for ch, w in zip(body, weights)) % 31
    return body + chars[0 if c == 31 else c]


def _real(fields):
    if not isinstance(fields, dict):
        return fields
    for name in list(fields):
        if name in FIELD_IDS and IDS[FIELD_IDS[name]]:
            fields[name] = _rng.choice(IDS[FIELD_IDS[name]])
        elif name == "id_number":
            fields[name] = _id_number()
        elif name == "credit_code":
            fields[name] = _credit_code()
        elif name == "category":
            fields[name] = _rng.choice(CATEGORIES)
        elif name == "skill_level":
            fields[name] = _rng.choice(SKILL_LEVELS)
    return fields


# Optional query references that staff must give (a member account may not).
STAFF_QUERY_IDS = {
    ("GET", "/api/v1/points/balance"): "member_id",
    ("GET", "/api/v1/points/entries"): "member_id",
    ("GET", "/api/v1/cadre-points/entries"): "cadre_id",
    # The union may come in the query or in a multipart form, so the
    # document cannot mark it required.
    ("POST", "/api/v1/imports"): "org_id",
}


def _coherent(method, path, body):
    """Rules a schema cannot state: an end after the start, a rule of the
    member's unions, a campus at a union of its kind, an item offered to the
    cadre's union, a catalogue item kept at its union, a cadre without a
    roster link."""
    if not isinstance(body, dict):
        return body
    if path.endswith("/sessions") and isinstance(body.get("starts_at"), int):
        body["ends_at"] = body["starts_at"] + 3_600_000
    if path == "/api/v1/points/entries" and body.get("amount") == 0:
        body["amount"] = 1
    live = LIVE.now()
    if path == "/api/v1/points/awards" and live.member_rules:
        member = _rng.choice(list(live.member_rules))
        body["member_id"] = member
        body["rule"] = _rng.choice(live.member_rules[member])
    if path == "/api/v1/points/entries" and isinstance(body.get("amount"), (int, float)) and body["amount"] < 0:
        # A deduction may not take a balance below zero, which no schema can
        # state: it goes out as one point from a member who holds some now
        # (the fuzzer's own deductions drain balances), without an expiry (a
        # deduction has none); with nobody holding points, as a grant.
        holder = _member_with_points()
        if holder is None:
            body["amount"] = 1
        else:
            body["member_id"] = holder
            body["amount"] = -1
            body.pop("valid_days", None)
    kind = body.get("kind")
    if method == "POST" and path == "/api/v1/academies" and isinstance(kind, str) and live.campus_orgs.get(kind):
        body["org_id"] = _rng.choice(live.campus_orgs[kind])
    if method == "POST" and path == "/api/v1/cadre-points/entries" and live.cadre_items:
        cadre = _rng.choice(list(live.cadre_items))
        body["cadre_id"] = cadre
        body["item_id"] = _rng.choice(live.cadre_items[cadre])
    if method == "POST" and path == "/api/v1/academy/categories" and isinstance(body.get("name"), str):
        # A name is taken once along a branch (409); a new one is what a
        # union adds. Kept within the 20 characters.
        body["name"] = body["name"][:14] + "".join(_rng.choice("甲乙丙丁戊己庚辛") for _ in range(6))
    if method == "POST" and path == "/api/v1/dashboard/targets":
        # A figure the dashboard shows, a kind it takes and a value of that kind.
        share = _rng.random() < 0.5
        body["figure_key"] = _rng.choice(
            ["members.skilled", "members.high_skilled", "members.migrant"] if share
            else ["members.on_roll", "members.skilled", "members.high_skilled", "orgs.total"]
        )
        body["kind"] = "share" if share else "count"
        body["target"] = str(_rng.randint(1, 100)) if share else str(_rng.randint(1, 100000))
    if method == "POST" and path == "/api/v1/points/rules" and not body.get("label"):
        # A rule needs a name when its code names no event or rule in force.
        body["label"] = "参加活动"
    if method == "PATCH" and path.startswith("/api/v1/catalog/items/"):
        body.pop("org_id", None)
        # A last day to redeem lies ahead (one in the past is refused: the
        # way to stop redeeming is to take the item down).
        if "valid_until" in body:
            body["valid_until"] = time.strftime("%Y-%m-%d", time.localtime(time.time() + 30 * 86400))
    if method == "POST" and path == "/api/v1/cadres" and live.org_members:
        org = _rng.choice(list(live.org_members))
        body["org_id"] = org
        if "member_id" in body:
            body["member_id"] = _rng.choice(live.org_members[org])
    return body


def _org_move(org, body):
    """A move the tree allows: the top union stays where it is, any other goes
    under a union outside its own subtree; a new code is one nobody holds."""
    if not isinstance(body, dict):
        return body
    # The tree as it is now: the fuzzer's own moves change it between cases.
    parents = {}
    for page in range(1, 6):
        orgs = _items(f"/api/v1/orgs?per_page=200&page={page}")
        parents.update({o["id"]: o.get("parent_id") for o in orgs})
        if len(orgs) < 200:
            break
    if isinstance(body.get("code"), str):
        body["code"] = body["code"][:24] + "-" + "".join(_rng.choice("abcdefgh") for _ in range(7))
    if "parent_id" not in body:
        return body
    if parents.get(org) is None:
        body.pop("parent_id")
        return body

    def under(node):
        while node is not None:
            if node == org:
                return True
            node = parents.get(node)
        return False

    outside = [o for o in parents if not under(o)]
    if outside:
        body["parent_id"] = _rng.choice(outside)
    else:
        body.pop("parent_id")
    return body


def _member_with_points():
    """A member whose balance is at least one point right now."""
    for member in _rng.sample(IDS["members"], min(8, len(IDS["members"]))):
        try:
            if _get(f"/api/v1/points/balance?member_id={member}")["balance"] >= 1:
                return member
        except Exception:
            continue
    return None


def _post(path, body):
    req = urllib.request.Request(
        BASE + path,
        data=json.dumps(body).encode(),
        method="POST",
        headers={"Authorization": "Bearer " + TOKEN, "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(req, timeout=10) as r:
        return json.load(r)


SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰涛明超秀霞平刚桂英华"


def _worker_on_the_roll():
    """A new member on the roll with no account: (name, ID number, phone), as
    a worker would type them to activate; None if the roster refused."""
    name = _rng.choice(SURNAMES) + "".join(_rng.choice(GIVEN) for _ in range(2))
    phone = "13" + "".join(_rng.choice("0123456789") for _ in range(9))
    id_number = _id_number()
    orgs = list(LIVE.now().org_members) or IDS["orgs"]
    try:
        _post("/api/v1/members", {"name": name, "id_number": id_number, "phone": phone, "org_id": _rng.choice(orgs)})
    except Exception:
        return None
    return name, id_number, phone


def _activation(body):
    """An activation a worker on the roll would send: their phone, name and ID
    number (a code is shown once, to the union, so the fuzzer has none)."""
    worker = _worker_on_the_roll()
    if worker is None or not isinstance(body, dict):
        return body
    body["name"], body["id_number"], body["phone"] = worker
    body.pop("code", None)
    if not isinstance(body.get("password"), str) or len(body["password"]) < 8:
        body["password"] = "Gongjiang-" + "".join(_rng.choice("abcdefgh") for _ in range(6))
    return body


def _positive(case):
    meta = getattr(case, "meta", None)
    return meta is not None and str(meta.generation.mode).lower().endswith("positive")


@schemathesis.hook
def map_case(context, case):
    # Valid-by-the-schema cases always get real references (they are meant to
    # be served); the others only mostly, so refusals are exercised too.
    if not _positive(case) and _rng.random() > SHARE:
        return case
    path = case.operation.path.removeprefix("/api/v1/")
    if case.path_parameters and "id" in case.path_parameters:
        resource = path.split("/{id}")[0]
        ids = IDS.get(PATH_IDS.get(resource, ""), [])
        if ids:
            case.path_parameters["id"] = _rng.choice(ids)
    academies = LIVE.now().academy_members
    if case.operation.path == "/api/v1/academies/{id}/staff" and academies:
        academy = _rng.choice(list(academies))
        case.path_parameters["id"] = academy
        if isinstance(case.body, dict) and "member_id" in case.body:
            case.body["member_id"] = _rng.choice(academies[academy])
            return case
    wanted = STAFF_QUERY_IDS.get((case.method.upper(), case.operation.path))
    if wanted:
        case.query = dict(case.query or {})
        case.query.setdefault(wanted, 0)
    case.query = _real(case.query)
    case.body = _coherent(case.method.upper(), case.operation.path, _real(case.body))
    if case.operation.path == "/api/v1/activation" and _positive(case):
        case.body = _activation(case.body)
    return case


@schemathesis.hook
def before_call(context, case, **kwargs):
    # A move is judged against the organisation actually addressed, which in
    # the stateful phase a link fills in after map_case, and in the examples
    # and coverage phases map_case does not see at all: so here, just before
    # the request goes out.
    if case.method.upper() == "PATCH" and case.operation.path == "/api/v1/orgs/{id}":
        case.body = _org_move((case.path_parameters or {}).get("id"), case.body)
