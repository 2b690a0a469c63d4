//! The nevers of the house, read from the source (issue 9, ENGINEERING.md):
//!
//! - a `rules.rs` imports neither axum, nor sqlx, nor the HTTP error type,
//!   nor any handler module: rules answer with their own field errors;
//! - a store imports neither axum nor any handler module;
//! - a program's handlers (its `api`, `console`, `phone` and `files`
//!   modules) never reach another program's handlers, and nothing below a
//!   program's `PROGRAM` value reaches a handler at all;
//! - outside `auth` and the stores, no program decides reach itself
//!   (`covers_path`);
//! - there is no import cycle between modules below the top-level assembly
//!   (`lib.rs`, `main.rs`, `app.rs`, `programs.rs`, `cli.rs`).
//!
//! The check is a small reader of Rust `use` trees and `crate::`/`super::`
//! paths, not a compiler: it sees what the code names, resolving the
//! `pub use` re-exports of a module to the file that defines the item. The
//! tests at the bottom plant each violation in a made-up tree and expect it
//! to be reported, so the check cannot pass by seeing nothing.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::Path;

/// Modules that assemble the house and may name anything.
const ASSEMBLY: &[&str] = &["", "app", "programs", "cli", "main"];
/// A program's modules that answer requests.
const HANDLERS: &[&str] = &["api", "console", "phone", "files"];

type Module = Vec<String>;

struct Source {
    module: Module,
    /// The code without comments, string literals and `#[cfg(test)]` parts.
    code: String,
}

/// Every `.rs` file under `root` (a `src/` folder), as its module path.
fn read_tree(root: &Path) -> Vec<(Module, String)> {
    let mut out = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let rel = path.strip_prefix(root).unwrap().with_extension("");
                let mut module: Module = rel
                    .components()
                    .map(|c| c.as_os_str().to_string_lossy().into_owned())
                    .collect();
                if module.last().is_some_and(|l| l == "mod") {
                    module.pop();
                }
                if module == ["lib"] {
                    module.clear();
                }
                out.push((module, std::fs::read_to_string(&path).unwrap()));
            }
        }
    }
    out
}

/// The code as the check reads it: comments, string and char literals
/// blanked, and the items under `#[cfg(test)]` left out (a test module names
/// its parent with `super::*`).
fn code_of(text: &str) -> String {
    without_tests(&blanked(text))
}

/// Leaves out each item marked `#[cfg(test)]`: up to its `;`, or its
/// balanced `{ … }`.
fn without_tests(code: &str) -> String {
    let mut out = String::with_capacity(code.len());
    let mut rest = code;
    while let Some(i) = rest.find("#[cfg(test)]") {
        out.push_str(&rest[..i]);
        let item = &rest[i..];
        let mut depth = 0;
        let mut end = item.len();
        for (k, c) in item.char_indices() {
            match c {
                '{' => depth += 1,
                '}' => {
                    depth -= 1;
                    if depth == 0 {
                        end = k + 1;
                        break;
                    }
                }
                ';' if depth == 0 => {
                    end = k + 1;
                    break;
                }
                _ => {}
            }
        }
        rest = &item[end..];
    }
    out.push_str(rest);
    out
}

/// Comments, string and char literals blanked.
fn blanked(text: &str) -> String {
    let b = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'/' if b.get(i + 1) == Some(&b'/') => {
                while i < b.len() && b[i] != b'\n' {
                    i += 1;
                }
            }
            b'/' if b.get(i + 1) == Some(&b'*') => {
                let mut depth = 0;
                while i < b.len() {
                    if b[i] == b'/' && b.get(i + 1) == Some(&b'*') {
                        depth += 1;
                        i += 2;
                    } else if b[i] == b'*' && b.get(i + 1) == Some(&b'/') {
                        depth -= 1;
                        i += 2;
                        if depth == 0 {
                            break;
                        }
                    } else {
                        i += 1;
                    }
                }
                out.push(' ');
            }
            b'r' if (b.get(i + 1) == Some(&b'"') || b.get(i + 1) == Some(&b'#'))
                && !b[..i]
                    .last()
                    .is_some_and(|c| c.is_ascii_alphanumeric() || *c == b'_') =>
            {
                let mut j = i + 1;
                let mut hashes = 0;
                while b.get(j) == Some(&b'#') {
                    hashes += 1;
                    j += 1;
                }
                if b.get(j) != Some(&b'"') {
                    out.push('r');
                    i += 1;
                    continue;
                }
                j += 1;
                let close: Vec<u8> = std::iter::once(b'"')
                    .chain(std::iter::repeat_n(b'#', hashes))
                    .collect();
                while j < b.len() && !b[j..].starts_with(&close) {
                    j += 1;
                }
                i = j + close.len();
                out.push_str("\"\"");
            }
            b'"' => {
                i += 1;
                while i < b.len() && b[i] != b'"' {
                    i += if b[i] == b'\\' { 2 } else { 1 };
                }
                i += 1;
                out.push_str("\"\"");
            }
            b'\'' => {
                // A char literal ('x', '\n', '“'), or a lifetime ('a).
                let rest = &text[i + 1..];
                let mut chars = rest.char_indices();
                match chars.next() {
                    Some((_, '\\')) => {
                        let end = rest.find('\'').map(|e| e + 1).unwrap_or(1);
                        let end = if end == 1 {
                            rest[1..].find('\'').map(|e| e + 2).unwrap_or(1)
                        } else {
                            end
                        };
                        i += 1 + end;
                        out.push_str("' '");
                    }
                    Some((_, _)) if chars.next().is_some_and(|(_, c)| c == '\'') => {
                        let len = rest.chars().next().unwrap().len_utf8();
                        i += 2 + len;
                        out.push_str("' '");
                    }
                    _ => {
                        out.push('\'');
                        i += 1;
                    }
                }
            }
            _ => {
                let ch = text[i..].chars().next().unwrap();
                out.push(ch);
                i += ch.len_utf8();
            }
        }
    }
    out
}

/// Every path the code names from the crate root: `use` trees expanded
/// (`use crate::a::{b, c::d}` names `a::b` and `a::c::d`), and paths in the
/// code (`crate::a::b::f()`), with `super::` and `self::` made absolute.
fn named_paths(module: &[String], is_mod_rs: bool, code: &str) -> Vec<Module> {
    // `super` in `a/b.rs` (module a::b) is `a`; in `a/b/mod.rs` (also a::b) too.
    let _ = is_mod_rs;
    let absolute = |segments: Vec<String>| -> Option<Module> {
        let mut it = segments.into_iter().peekable();
        let mut base: Module = match it.peek().map(String::as_str) {
            Some("crate") => {
                it.next();
                Vec::new()
            }
            Some("super") | Some("self") => module.to_vec(),
            _ => return None,
        };
        while let Some(s) = it.peek() {
            match s.as_str() {
                "super" => {
                    base.pop()?;
                    it.next();
                }
                "self" => {
                    it.next();
                }
                _ => break,
            }
        }
        base.extend(it);
        Some(base)
    };
    let mut out = Vec::new();
    // `use` trees, taken out of the code read next.
    let mut rest = code;
    let mut without_uses = String::with_capacity(code.len());
    while let Some(i) = find_word(rest, "use") {
        without_uses.push_str(&rest[..i]);
        let after = &rest[i + 3..];
        let Some(end) = after.find(';') else { break };
        let tree: String = after[..end].split_whitespace().collect();
        for p in expand_use(&tree) {
            if let Some(m) = absolute(p) {
                out.push(m);
            }
        }
        rest = &after[end..];
    }
    without_uses.push_str(rest);
    // Paths in the code.
    let code = without_uses.as_str();
    let bytes = code.as_bytes();
    for start in ["crate::", "super::"] {
        let mut from = 0;
        while let Some(k) = code[from..].find(start) {
            let at = from + k;
            from = at + start.len();
            if at > 0 && (bytes[at - 1].is_ascii_alphanumeric() || bytes[at - 1] == b'_') {
                continue;
            }
            let mut end = at;
            while end < bytes.len()
                && (bytes[end].is_ascii_alphanumeric() || bytes[end] == b'_' || bytes[end] == b':')
            {
                end += 1;
            }
            let segments: Vec<String> = code[at..end]
                .split("::")
                .filter(|s| !s.is_empty())
                .map(str::to_string)
                .collect();
            if let Some(m) = absolute(segments) {
                out.push(m);
            }
        }
    }
    out
}

/// The byte offset of `word` standing alone in `s`.
fn find_word(s: &str, word: &str) -> Option<usize> {
    let b = s.as_bytes();
    let mut from = 0;
    while let Some(k) = s[from..].find(word) {
        let at = from + k;
        let before = at == 0 || !(b[at - 1].is_ascii_alphanumeric() || b[at - 1] == b'_');
        let after = b
            .get(at + word.len())
            .is_none_or(|c| !(c.is_ascii_alphanumeric() || *c == b'_'));
        if before && after {
            return Some(at);
        }
        from = at + word.len();
    }
    None
}

/// `a::{b,c::{d,e}}` → `a::b`, `a::c::d`, `a::c::e` (whitespace removed).
fn expand_use(tree: &str) -> Vec<Vec<String>> {
    let tree = tree.strip_prefix("::").unwrap_or(tree);
    match tree.find('{') {
        None => {
            let path = tree.split(" as ").next().unwrap_or(tree);
            let path = path.split("as").next().unwrap_or(path);
            vec![path
                .split("::")
                .filter(|s| !s.is_empty() && *s != "*")
                .map(str::to_string)
                .collect()]
        }
        Some(open) => {
            let prefix: Vec<String> = tree[..open]
                .split("::")
                .filter(|s| !s.is_empty())
                .map(str::to_string)
                .collect();
            let inner = &tree[open + 1..tree.rfind('}').unwrap_or(tree.len())];
            let mut parts = Vec::new();
            let (mut depth, mut last) = (0, 0);
            for (i, c) in inner.char_indices() {
                match c {
                    '{' => depth += 1,
                    '}' => depth -= 1,
                    ',' if depth == 0 => {
                        parts.push(&inner[last..i]);
                        last = i + 1;
                    }
                    _ => {}
                }
            }
            parts.push(&inner[last..]);
            let mut out = Vec::new();
            for part in parts.into_iter().filter(|p| !p.is_empty()) {
                for rest in expand_use(part) {
                    let mut p = prefix.clone();
                    if rest.first().is_some_and(|s| s == "self") {
                        p.extend(rest.into_iter().skip(1));
                    } else {
                        p.extend(rest);
                    }
                    out.push(p);
                }
            }
            out
        }
    }
}

/// The house as modules and what each names.
struct House {
    sources: Vec<Source>,
    modules: BTreeSet<Module>,
    /// `pub use` re-exports: (module, name) → the path it stands for.
    reexports: HashMap<(Module, String), Module>,
    programs: BTreeSet<String>,
}

impl House {
    fn new(files: Vec<(Module, String)>, programs_rs: &str) -> House {
        let programs = programs_rs
            .split("crate::")
            .skip(1)
            .filter_map(|p| p.split_once("::PROGRAM").map(|(name, _)| name.to_string()))
            .filter(|n| n.chars().all(|c| c.is_ascii_lowercase() || c == '_'))
            .collect();
        let mut reexports = HashMap::new();
        let mut sources = Vec::new();
        for (module, text) in files {
            let code = code_of(&text);
            let mut rest = code.as_str();
            while let Some(i) = rest.find("pub use ") {
                let after = &rest[i + 8..];
                let end = after.find(';').unwrap_or(after.len());
                let tree: String = after[..end].split_whitespace().collect();
                for p in expand_use(&tree) {
                    let Some(name) = p.last().cloned() else {
                        continue;
                    };
                    let target = match p.first().map(String::as_str) {
                        Some("crate") => p[1..].to_vec(),
                        Some("super") => {
                            let mut m = module.clone();
                            m.pop();
                            m.extend(p[1..].iter().cloned());
                            m
                        }
                        Some("self") => module.iter().chain(&p[1..]).cloned().collect(),
                        _ => module.iter().chain(&p).cloned().collect(),
                    };
                    reexports.insert((module.clone(), name), target);
                }
                rest = &after[end..];
            }
            sources.push(Source { module, code });
        }
        let modules = sources.iter().map(|s| s.module.clone()).collect();
        House {
            sources,
            modules,
            reexports,
            programs,
        }
    }

    /// The module a path lands in: the longest prefix that is a module, with
    /// a re-exported name followed to where it is defined.
    fn resolve(&self, path: &[String]) -> Option<Module> {
        let mut path = path.to_vec();
        for _ in 0..8 {
            let n = (0..=path.len())
                .rev()
                .find(|&n| self.modules.contains(&path[..n]))?;
            let module = path[..n].to_vec();
            match path.get(n) {
                Some(name) if self.reexports.contains_key(&(module.clone(), name.clone())) => {
                    let mut next = self.reexports[&(module, name.clone())].clone();
                    next.extend(path[n + 1..].iter().cloned());
                    path = next;
                }
                _ => return Some(module),
            }
        }
        None
    }

    /// Module → the modules it names (itself left out).
    fn edges(&self) -> BTreeMap<Module, BTreeSet<Module>> {
        let mut out: BTreeMap<Module, BTreeSet<Module>> = BTreeMap::new();
        for s in &self.sources {
            let set = out.entry(s.module.clone()).or_default();
            for p in named_paths(&s.module, false, &s.code) {
                if let Some(m) = self.resolve(&p) {
                    if m != s.module {
                        set.insert(m);
                    }
                }
            }
        }
        out
    }

    fn is_assembly(m: &[String]) -> bool {
        ASSEMBLY.contains(&m.first().map(String::as_str).unwrap_or(""))
    }

    /// `Some(program)` for a program's handler module (or one inside it).
    fn handler_of(&self, m: &[String]) -> Option<String> {
        match m {
            [program, layer, ..]
                if self.programs.contains(program) && HANDLERS.contains(&layer.as_str()) =>
            {
                Some(program.clone())
            }
            _ => None,
        }
    }

    fn is_rules(m: &[String]) -> bool {
        m.iter().any(|s| s == "rules")
    }

    fn is_store(m: &[String]) -> bool {
        m.iter().any(|s| s == "store")
    }

    /// Every broken never, one line each.
    fn violations(&self) -> Vec<String> {
        let mut out = Vec::new();
        let show = |m: &[String]| {
            if m.is_empty() {
                "crate".to_string()
            } else {
                m.join("::")
            }
        };
        for s in &self.sources {
            let names = |word: &str| find_word(&s.code, word).is_some();
            if Self::is_rules(&s.module) {
                for word in ["axum", "sqlx", "AppError", "AppResult"] {
                    if names(word) {
                        out.push(format!("{} (rules) names {word}", show(&s.module)));
                    }
                }
                if s.code.contains("web::error") {
                    out.push(format!("{} (rules) names web::error", show(&s.module)));
                }
            }
            if Self::is_store(&s.module) && names("axum") {
                out.push(format!("{} (store) names axum", show(&s.module)));
            }
            // Reach is the store's decision (or `auth`'s, for what a page offers).
            let in_program = s.module.first().is_some_and(|p| self.programs.contains(p));
            let is_auth = s.module.first().is_some_and(|p| p == "auth");
            if in_program && !is_auth && !Self::is_store(&s.module) && names("covers_path") {
                out.push(format!(
                    "{} decides reach with covers_path",
                    show(&s.module)
                ));
            }
        }
        let edges = self.edges();
        for (from, tos) in &edges {
            if Self::is_assembly(from) {
                continue;
            }
            let own_program = from.len() == 1 && self.programs.contains(&from[0]);
            for to in tos {
                let Some(target) = self.handler_of(to) else {
                    continue;
                };
                match self.handler_of(from) {
                    Some(p) if p == target => {}
                    Some(p) => out.push(format!(
                        "{} (handlers of {p}) reaches {} (handlers of {target})",
                        show(from),
                        show(to)
                    )),
                    // A program's PROGRAM value names its own handlers.
                    None if own_program && from[0] == target => {}
                    None => out.push(format!(
                        "{} reaches the handler module {}",
                        show(from),
                        show(to)
                    )),
                }
            }
        }
        for cycle in cycles(&edges, Self::is_assembly) {
            out.push(format!(
                "import cycle: {}",
                cycle
                    .iter()
                    .map(|m| show(m))
                    .collect::<Vec<_>>()
                    .join(" → ")
            ));
        }
        out
    }
}

/// The strongly connected parts of the graph (Tarjan) with more than one
/// module, leaving out the assembly.
fn cycles(
    edges: &BTreeMap<Module, BTreeSet<Module>>,
    skip: fn(&[String]) -> bool,
) -> Vec<Vec<Module>> {
    struct Walk<'a> {
        edges: &'a BTreeMap<Module, BTreeSet<Module>>,
        skip: fn(&[String]) -> bool,
        index: HashMap<&'a Module, usize>,
        low: HashMap<&'a Module, usize>,
        stack: Vec<&'a Module>,
        on_stack: BTreeSet<&'a Module>,
        found: Vec<Vec<Module>>,
    }
    impl<'a> Walk<'a> {
        fn visit(&mut self, v: &'a Module) {
            let n = self.index.len();
            self.index.insert(v, n);
            self.low.insert(v, n);
            self.stack.push(v);
            self.on_stack.insert(v);
            let edges = self.edges;
            let skip = self.skip;
            if let Some(tos) = edges.get(v) {
                for w in tos.iter().filter(|w| !skip(w)) {
                    if !self.index.contains_key(w) {
                        self.visit(w);
                        let lw = self.low[w];
                        let lv = self.low.get_mut(v).unwrap();
                        *lv = (*lv).min(lw);
                    } else if self.on_stack.contains(w) {
                        let iw = self.index[w];
                        let lv = self.low.get_mut(v).unwrap();
                        *lv = (*lv).min(iw);
                    }
                }
            }
            if self.low[v] == self.index[v] {
                let mut part = Vec::new();
                loop {
                    let w = self.stack.pop().unwrap();
                    self.on_stack.remove(w);
                    part.push(w.clone());
                    if w == v {
                        break;
                    }
                }
                if part.len() > 1 {
                    part.reverse();
                    self.found.push(part);
                }
            }
        }
    }
    let mut walk = Walk {
        edges,
        skip,
        index: HashMap::new(),
        low: HashMap::new(),
        stack: Vec::new(),
        on_stack: BTreeSet::new(),
        found: Vec::new(),
    };
    for v in edges.keys().filter(|v| !skip(v)) {
        if !walk.index.contains_key(v) {
            walk.visit(v);
        }
    }
    walk.found
}

fn the_house() -> House {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let programs = std::fs::read_to_string(root.join("programs.rs")).unwrap();
    House::new(read_tree(&root), &programs)
}

#[test]
fn the_house_keeps_its_nevers() {
    let house = the_house();
    assert!(
        house.programs.len() >= 9,
        "programs.rs lists {:?}",
        house.programs
    );
    let broken = house.violations();
    assert!(
        broken.is_empty(),
        "the layers point the wrong way:\n{}",
        broken.join("\n")
    );
}

/// API routes are registered only through `routes!` on an `OpenApiRouter`,
/// which documents each one; a plain `.route("/api/…")` would be served
/// without being in `/api/v1/openapi.json`. The document itself is the one
/// exception.
#[test]
fn no_api_route_is_registered_outside_the_document() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut bypassing = Vec::new();
    for (module, text) in read_tree(&root) {
        let flat: String = text.split_whitespace().collect();
        for (i, _) in flat.match_indices(".route(\"/api/") {
            let rest = &flat[i + 8..];
            if !rest.starts_with("/api/v1/openapi.json\"") {
                bypassing.push(format!(
                    "{}: {}",
                    module.join("::"),
                    &rest[..rest.len().min(40)]
                ));
            }
        }
    }
    assert_eq!(bypassing, Vec::<String>::new());
}

#[test]
fn the_check_sees_what_the_code_names() {
    // The reader itself: use trees, re-exports, comments and strings.
    let house = the_house();
    let edges = house.edges();
    let of = |m: &str| edges[&m.split("::").map(str::to_string).collect::<Module>()].clone();
    let academy_api = of("academy::api");
    assert!(academy_api.contains(&vec!["academy".into(), "ops".into()]));
    // `crate::auth::Caller` is re-exported from `auth::caller`.
    assert!(of("program").contains(&vec!["auth".into(), "caller".into()]));
    assert!(!of("program").contains(&vec!["auth".into()]));
}

// ---------------------------------------------------------------------------
// Each never, planted in a made-up house, is reported.
// ---------------------------------------------------------------------------

fn made_up(files: &[(&str, &str)]) -> Vec<String> {
    let files = files
        .iter()
        .map(|(m, text)| {
            let module = if m.is_empty() {
                Vec::new()
            } else {
                m.split("::").map(str::to_string).collect()
            };
            (module, text.to_string())
        })
        .collect();
    House::new(
        files,
        "pub static PROGRAMS = &[&crate::org::PROGRAM, &crate::member::PROGRAM];",
    )
    .violations()
}

const CLEAN: &[(&str, &str)] = &[
    ("", "pub mod org; pub mod member; pub mod web;"),
    ("programs", "use crate::org; use crate::member;"),
    ("web", "pub mod error;"),
    ("web::error", "pub enum AppError {}"),
    (
        "org",
        "pub mod api; pub mod rules; pub mod store; pub const PROGRAM: P = P { api: api::router };",
    ),
    ("org::api", "use super::store; use crate::web::error::AppError;"),
    (
        "org::rules",
        "// axum is not here, only in a comment\npub fn parse() -> Result<(), String> { let s = \"sqlx\"; Ok(()) }",
    ),
    ("org::store", "use super::rules; use crate::web::error::AppError;"),
    (
        "member",
        "pub mod api; pub mod store; pub const PROGRAM: P = P { api: api::router };",
    ),
    ("member::api", "use super::store;"),
    ("member::store", "use crate::org::store::Org;"),
];

fn with(plant: (&str, &str)) -> Vec<String> {
    let mut files: Vec<(&str, &str)> = CLEAN
        .iter()
        .filter(|(m, _)| *m != plant.0)
        .copied()
        .collect();
    let original = CLEAN.iter().find(|(m, _)| *m == plant.0).map(|(_, t)| *t);
    let text = format!("{}\n{}", original.unwrap_or(""), plant.1);
    files.push((plant.0, Box::leak(text.into_boxed_str())));
    made_up(&files)
}

#[test]
fn a_clean_made_up_house_passes() {
    assert_eq!(made_up(CLEAN), Vec::<String>::new());
}

#[test]
fn rules_that_name_axum_sqlx_or_the_http_error_are_reported() {
    // A test module may name anything; what follows it is read again.
    assert_eq!(
        with((
            "org::rules",
            "#[cfg(test)]\nmod tests { use sqlx::Row; fn f() { let _ = [0; 2]; } }"
        )),
        Vec::<String>::new()
    );
    for plant in [
        "#[cfg(test)]\nmod tests { }\nuse axum::Json;",
        "fn f(p: &sqlx::AnyPool) {}",
        "use crate::web::error::AppError;",
    ] {
        let broken = with(("org::rules", plant));
        assert!(
            broken.iter().any(|b| b.starts_with("org::rules (rules)")),
            "{plant}: {broken:?}"
        );
    }
}

#[test]
fn a_store_that_names_axum_or_a_handler_is_reported() {
    let broken = with(("org::store", "use axum::extract::State;"));
    assert!(
        broken.iter().any(|b| b == "org::store (store) names axum"),
        "{broken:?}"
    );
    let broken = with(("org::store", "use crate::org::api::something;"));
    assert!(
        broken
            .iter()
            .any(|b| b == "org::store reaches the handler module org::api"),
        "{broken:?}"
    );
}

#[test]
fn reach_decided_outside_the_store_is_reported() {
    let broken = with((
        "member::api",
        "fn f(c: &Caller) { c.scope(Right::Read).covers_path(p); }",
    ));
    assert!(
        broken
            .iter()
            .any(|b| b == "member::api decides reach with covers_path"),
        "{broken:?}"
    );
}

#[test]
fn handlers_reaching_another_programs_handlers_are_reported() {
    let broken = with((
        "member::api",
        "fn f() { crate::org::api::check_target_org(); }",
    ));
    assert!(
        broken
            .iter()
            .any(|b| b == "member::api (handlers of member) reaches org::api (handlers of org)"),
        "{broken:?}"
    );
}

#[test]
fn an_import_cycle_is_reported() {
    let broken = with(("org::store", "use crate::member::store::Member;"));
    assert!(
        broken.iter().any(|b| b.starts_with("import cycle:")
            && b.contains("org::store")
            && b.contains("member::store")),
        "{broken:?}"
    );
}

#[test]
fn a_cycle_through_a_re_export_is_seen_where_the_item_lives() {
    let mut files: Vec<(&str, &str)> = CLEAN.to_vec();
    files.push(("org::kinds", "pub enum Kind {}"));
    files.retain(|(m, _)| *m != "org");
    files.push((
        "org",
        "pub mod api; pub mod kinds; pub mod rules; pub mod store; pub use kinds::Kind; \
         pub const PROGRAM: P = P { api: api::router };",
    ));
    files.retain(|(m, _)| *m != "org::rules");
    files.push(("org::rules", "use crate::org::Kind;"));
    assert_eq!(made_up(&files), Vec::<String>::new());
}

/// The names a file gives its `ToSchema` types in the OpenAPI document: the
/// type's own name, or the `#[schema(as = …)]` it is documented as.
fn schema_names(text: &str) -> Vec<String> {
    let mut names = Vec::new();
    for (i, _) in text.match_indices("ToSchema") {
        // Derived only: a hand-written `impl ToSchema` names itself.
        let line_start = text[..i].rfind('\n').map_or(0, |n| n + 1);
        if !text[line_start..i].contains("derive(") {
            continue;
        }
        let rest = &text[i..];
        let Some(item) = ["pub struct ", "pub enum "]
            .iter()
            .filter_map(|k| rest.find(k).map(|at| (at, k.len())))
            .min()
        else {
            continue;
        };
        let attrs = &rest[..item.0];
        let own: String = rest[item.0 + item.1..]
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .collect();
        let named = attrs.find("schema(as = ").map(|at| {
            attrs[at + 12..]
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_' || *c == ':')
                .collect::<String>()
        });
        names.push(named.unwrap_or(own));
    }
    names
}

fn shared_schema_names(files: &[(String, String)]) -> Vec<String> {
    let mut seen: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (file, text) in files {
        for name in schema_names(&code_of(text)) {
            seen.entry(name).or_default().push(file.clone());
        }
    }
    seen.into_iter()
        .filter(|(_, files)| files.len() > 1)
        .map(|(name, files)| format!("{name}: {}", files.join(", ")))
        .collect()
}

/// The document keeps one schema per name: two types called `Item` would
/// silently describe one program's responses with the other's fields.
#[test]
fn no_two_documented_types_share_a_name() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let files: Vec<(String, String)> = read_tree(&root)
        .into_iter()
        .map(|(m, text)| (m.join("::"), text))
        .collect();
    assert!(
        shared_schema_names(&files).is_empty(),
        "{:?}",
        shared_schema_names(&files)
    );
    let planted =
        |a: &str, b: &str| shared_schema_names(&[("a".into(), a.into()), ("b".into(), b.into())]);
    let item = "#[derive(Serialize, utoipa::ToSchema)]\npub struct Item { x: i64 }";
    assert_eq!(planted(item, item), vec!["Item: a, b".to_string()]);
    let renamed = "#[derive(utoipa::ToSchema)]\n#[schema(as = CadreItem)]\npub struct Item {}";
    assert!(planted(item, renamed).is_empty());
}

/// Form handlers that answer something other than a page: the logout (a
/// redirect whatever happens) and the replay player's progress report (JSON).
const NOT_PAGE_FORMS: &[(&str, &str)] = &[
    ("auth::console", "logout"),
    ("academy::phone::lessons", "player_progress"),
];

/// The console and phone form handlers (`PageForm` or `Multipart` bodies)
/// that do not end in `web::form::finish`, directly or through a helper of
/// their file that does.
fn forms_outside_finish(module: &str, code: &str) -> Vec<String> {
    forms_in(module, code).1
}

/// The form handlers of a file (how many) and those outside `finish`.
fn forms_in(module: &str, code: &str) -> (usize, Vec<String>) {
    // Each `fn` with its text up to the next one.
    let mut fns: Vec<(String, &str)> = Vec::new();
    let starts: Vec<usize> = code.match_indices("fn ").map(|(i, _)| i).collect();
    for (n, &at) in starts.iter().enumerate() {
        let end = starts.get(n + 1).copied().unwrap_or(code.len());
        let name: String = code[at + 3..]
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .collect();
        if !name.is_empty() {
            fns.push((name, &code[at..end]));
        }
    }
    let finishing: Vec<&str> = fns
        .iter()
        .filter(|(_, body)| body.contains("finish("))
        .map(|(name, _)| name.as_str())
        .collect();
    let forms: Vec<&(String, &str)> = fns
        .iter()
        .filter(|(_, body)| {
            let head = body.split(") ->").next().unwrap_or(body);
            head.contains("PageForm<") || head.contains(": Multipart")
        })
        .filter(|(name, _)| !NOT_PAGE_FORMS.contains(&(module, name.as_str())))
        .collect();
    let outside = forms
        .iter()
        .filter(|(_, body)| {
            !body.contains("finish(") && !finishing.iter().any(|f| body.contains(&format!("{f}(")))
        })
        .map(|(name, _)| format!("{module}::{name}"))
        .collect();
    (forms.len(), outside)
}

/// Every console and phone form tells a mistake from a failure the same way:
/// through `web::form::finish` (the form again with its errors and what was
/// typed, or the error page).
#[test]
fn every_form_ends_in_the_one_outcome_helper() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let (mut forms, mut outside) = (0, Vec::new());
    for (module, text) in read_tree(&root) {
        let page_handlers = module
            .iter()
            .any(|part| part == "console" || part == "phone");
        if page_handlers && module.first().is_some_and(|p| p != "web") {
            let (n, found) = forms_in(&module.join("::"), &code_of(&text));
            forms += n;
            outside.extend(found);
        }
    }
    assert!(forms >= 30, "the check saw {forms} form handlers");
    assert_eq!(outside, Vec::<String>::new());
    // Planted: a form handler that matches on its result itself.
    let planted = "async fn save(State(s): State<AppState>, PageForm { caller: c, form: f }: PageForm<F>) -> PageResult {\n    match ops::save(&s, &c).await { Ok(_) => todo(), Err(e) => Err(e).or_page(&c) }\n}\n";
    assert_eq!(
        forms_outside_finish("x::console", planted),
        vec!["x::console::save".to_string()]
    );
    let through_helper = format!(
        "{planted}async fn done(r: R) -> PageResult {{ form::finish(c, r, a, b).await }}\n"
    )
    .replace(
        "match ops::save(&s, &c).await { Ok(_) => todo(), Err(e) => Err(e).or_page(&c) }",
        "done(ops::save(&s, &c).await).await",
    );
    assert!(forms_outside_finish("x::console", &through_helper).is_empty());
}
