//! What a program is to the house. Each program folder exposes one `PROGRAM`
//! value of this type; `programs.rs` lists them, and the router, the OpenAPI
//! document, both navigation bars, the audit labels, the scheduler and the
//! demo loader are built by walking that list. Adding a program is its folder,
//! one line in the list, its migrations and its tests.

use crate::auth::{Caller, Right};
use crate::db::Db;
use crate::state::AppState;
use futures_util::future::BoxFuture;
use std::time::Duration;

pub struct Program {
    /// Its folder's name, for messages and logs.
    pub name: &'static str,
    /// Its JSON API, documented from the handlers (utoipa): served and
    /// described from this one value, so the two cannot drift.
    pub api: fn() -> utoipa_axum::router::OpenApiRouter<AppState>,
    /// Its console and phone pages.
    pub pages: fn() -> axum::Router<AppState>,
    /// Entries in the console's navigation bar.
    pub console_nav: &'static [NavItem],
    /// Tabs in the phone pages' bar.
    pub phone_nav: &'static [NavItem],
    /// What its audit actions mean, for people reading the log.
    pub audit_labels: &'static [(&'static str, &'static str)],
    /// Work the server does on its own, on a timer.
    pub jobs: &'static [Job],
    /// Its part of the demo data.
    pub demo: &'static [DemoStep],
    /// The events it pays points for by rule code (code, what staff call
    /// it): the points-rule form offers them by name.
    pub point_events: &'static [(&'static str, &'static str)],
    /// Its cards on the worker's phone home page (/m).
    pub home_cards: &'static [HomeCard],
    /// Its figures on the dashboard (issue 12).
    pub figures: &'static [FigureSource],
    /// Its part of each member's growth record (成长档案, issue 13).
    pub records: &'static [RecordSource],
}

/// A program's part of a member's growth record: what happened to the
/// member in it, each with when and where. The member has been checked in
/// the caller's scope before (`member::store::get`); a source reads that one
/// member's rows and nothing else.
pub struct RecordSource {
    pub read: RecordFn,
}

pub type RecordFn =
    for<'a> fn(
        &'a AppState,
        i64,
    ) -> BoxFuture<'a, Result<Vec<RecordItem>, crate::web::error::AppError>>;

/// Events each record source gives at most (its newest), so the work of one
/// request is bounded however long a member's history.
pub const RECORD_PER_SOURCE: i64 = 500;

/// One event in a member's growth record.
#[derive(Debug, Clone, PartialEq, serde::Serialize, utoipa::ToSchema)]
pub struct RecordItem {
    /// What happened, for clients: `joined`, `transferred`, `session_attended`,
    /// `course_completed`, `points_earned` (programs added later add theirs).
    pub kind: String,
    /// When (epoch milliseconds).
    pub at: i64,
    /// What happened, in words.
    pub title: String,
    /// The union it happened at.
    pub org_name: String,
    /// The certificate the union signed for it, when it did.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub certificate_id: Option<i64>,
}

impl RecordItem {
    pub fn new(kind: &str, at: i64, title: String, org_name: String) -> RecordItem {
        RecordItem {
            kind: kind.to_string(),
            at,
            title,
            org_name,
            certificate_id: None,
        }
    }
}

/// A program's part of the dashboard: its figures for each of the subtrees
/// asked for (the organisation shown, then each child), in the same order.
pub struct FigureSource {
    /// Place on the dashboard, across programs (lower first).
    pub order: u16,
    /// The heading its figures stand under (会员, 组织, 学院 …).
    pub group: &'static str,
    pub compute: FiguresFn,
    /// Its figures month by month, for the trend charts (if it keeps them).
    pub trends: Option<TrendsFn>,
}

/// Lines for the trend charts of one subtree: a value (or none) for each of `months`.
pub type TrendsFn = for<'a> fn(
    &'a AppState,
    &'a Subtree,
    &'a [String],
) -> BoxFuture<'a, Result<Vec<Trend>, crate::web::error::AppError>>;

/// One figure month by month.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct Trend {
    /// The figure's key on the dashboard (`members.on_roll`).
    pub key: String,
    pub label: String,
    pub unit: String,
    /// One per month asked for; none where nothing was kept.
    pub values: Vec<Option<i64>>,
    /// Whether each value was back-filled from history rather than taken in its month.
    pub estimated: Vec<bool>,
}

impl Trend {
    /// A figure counted month by month from what the triggers keep (exact,
    /// never estimated).
    pub fn kept(key: &str, label: &str, unit: &str, values: Vec<i64>) -> Trend {
        Trend {
            key: key.to_string(),
            label: label.to_string(),
            unit: unit.to_string(),
            estimated: vec![false; values.len()],
            values: values.into_iter().map(Some).collect(),
        }
    }
}

/// Figures for each subtree: one `Vec<Figure>` per `Subtree`, in order.
pub type FiguresFn =
    for<'a> fn(
        &'a AppState,
        &'a [Subtree],
        &'a Period,
    ) -> BoxFuture<'a, Result<Vec<Vec<Figure>>, crate::web::error::AppError>>;

/// One organisation's subtree on the dashboard: the caller's scope narrowed
/// to it, so a program's store answers within it and nowhere else.
pub struct Subtree {
    pub org_id: i64,
    pub scope: crate::auth::Scope,
}

/// The scopes of `subtrees`, in order, for a store function that counts in each.
pub fn scopes_of(subtrees: &[Subtree]) -> Vec<crate::auth::Scope> {
    subtrees.iter().map(|t| t.scope.clone()).collect()
}

/// One figure per subtree from one count per subtree (`figure(org_id, count)`).
pub fn one_each(
    subtrees: &[Subtree],
    counts: Vec<i64>,
    figure: impl Fn(i64, i64) -> Figure,
) -> Vec<Vec<Figure>> {
    subtrees
        .iter()
        .zip(counts)
        .map(|(t, n)| vec![figure(t.org_id, n)])
        .collect()
}

/// The dates "this month" and "this year" mean, in Beijing (`YYYY-MM-DD`):
/// joins count by the calendar month of the join date (a join dated later
/// this month is this month's), transfers up to today.
pub struct Period {
    pub today: String,
    pub month_start: String,
    pub month_end: String,
    pub year_start: String,
    pub year_end: String,
}

impl Period {
    pub fn of(today: &str) -> Period {
        let year = today.get(..4).unwrap_or("1970");
        let month = today.get(..7).unwrap_or("1970-01");
        Period {
            today: today.to_string(),
            month_start: format!("{month}-01"),
            month_end: format!("{month}-{:02}", days_in_month(month)),
            year_start: format!("{year}-01-01"),
            year_end: format!("{year}-12-31"),
        }
    }
}

/// Days in a `YYYY-MM` month (31 where it cannot be read).
fn days_in_month(month: &str) -> u8 {
    let year = month.get(..4).and_then(|y| y.parse().ok());
    let number = month.get(5..7).and_then(|m| m.parse::<u8>().ok());
    match (year, number.and_then(|m| time::Month::try_from(m).ok())) {
        (Some(y), Some(m)) => m.length(y),
        _ => 31,
    }
}

/// A figure on the dashboard: a count and the list it counts.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct Figure {
    /// Its name for clients, the same for every organisation (`members.on_roll`).
    pub key: String,
    pub label: String,
    pub value: i64,
    /// 人, 个, 家 …
    pub unit: String,
    /// The API list it counts: that list's `total` equals `value` (or its
    /// `sum`, where `list_field` says so: a figure of points adds amounts up).
    pub list: String,
    /// Which number of the list equals `value`: `total` or `sum`.
    pub list_field: String,
    /// The console page of that list, for the dashboard's links.
    #[serde(skip)]
    pub page: String,
    /// A share of another figure of the same organisation (its key), shown as a percentage.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub share_of: Option<String>,
    /// Figures with the same name here are the parts of one whole, drawn as
    /// one bar chart (技能等级构成); they stay out of the table of children.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub distribution: Option<String>,
    /// Whether a union's figure is the sum of its children's and its own
    /// part: not so for different people counted once (参训人数), whose
    /// 本级 row cannot be had by subtraction.
    #[serde(skip)]
    pub additive: bool,
}

impl Figure {
    /// A figure whose list is `path` (`/members?…`) both in the API and on the console.
    pub fn counting(key: &str, label: &str, unit: &str, value: i64, path: &str) -> Figure {
        Figure {
            key: key.to_string(),
            label: label.to_string(),
            value,
            unit: unit.to_string(),
            list: format!("/api/v1{path}"),
            list_field: "total".to_string(),
            page: path.to_string(),
            share_of: None,
            distribution: None,
            additive: true,
        }
    }

    /// A figure that adds amounts up: its list's `sum` equals `value`.
    pub fn summing(key: &str, label: &str, unit: &str, value: i64, path: &str) -> Figure {
        Figure {
            list_field: "sum".to_string(),
            ..Figure::counting(key, label, unit, value, path)
        }
    }

    /// Its console page, where that differs from the API list's path.
    pub fn with_page(mut self, page: String) -> Figure {
        self.page = page;
        self
    }

    /// A count of different people, not a sum over the subtree.
    pub fn not_additive(mut self) -> Figure {
        self.additive = false;
        self
    }

    pub fn in_distribution(mut self, name: &str) -> Figure {
        self.distribution = Some(name.to_string());
        self
    }

    pub fn share_of(mut self, key: &str) -> Figure {
        self.share_of = Some(key.to_string());
        self
    }
}

/// Renders a home card for a worker: its HTML, or None to leave it out.
pub type CardRenderer =
    for<'a> fn(
        &'a AppState,
        &'a Worker,
    ) -> BoxFuture<'a, Result<Option<String>, crate::web::error::AppError>>;

/// The worker a phone home page is for (what the cards need of them).
pub struct Worker {
    pub member_id: i64,
    pub org_path: String,
    pub org_name: String,
}

/// A card on the worker's phone home page: its program renders it for the
/// member (HTML from its own template, escaped there), or leaves it out.
pub struct HomeCard {
    /// Place on the page, across programs (lower first).
    pub order: u16,
    pub render: CardRenderer,
}

/// One link in a navigation bar.
pub struct NavItem {
    /// The page's key: the page that is open marks its link.
    pub key: &'static str,
    pub label: &'static str,
    pub href: &'static str,
    /// Place in the bar, across programs (lower first).
    pub order: u16,
    pub show: Show,
}

/// Who sees a navigation link.
#[derive(Debug, Clone, Copy)]
pub enum Show {
    /// Staff of some union (the read right somewhere).
    Staff,
    /// A member account (a worker).
    Member,
    /// Whoever holds this right somewhere.
    Holding(Right),
}

impl Show {
    pub fn allows(self, c: &Caller) -> bool {
        match self {
            Show::Staff => c.can(Right::Read),
            Show::Member => !c.can(Right::Read),
            Show::Holding(r) => c.can(r),
        }
    }
}

/// A background job: run at start-up and then every `every`.
pub struct Job {
    pub name: &'static str,
    pub every: Duration,
    /// Returns a line for the log when it did something.
    pub run: fn(Db) -> BoxFuture<'static, anyhow::Result<Option<String>>>,
}

/// What a demo step gets: the database, the keys, the file store.
pub struct Demo {
    pub db: Db,
    pub keys: crate::pii::Keyring,
    pub files: Option<crate::files::FileStore>,
}

/// One program's part of the demo data; it says what it added.
pub struct DemoStep {
    /// Loaded by the tests' fixture too; otherwise only for a first look
    /// (`gongjiang demo`, `seed demo`), so tests start from empty programs.
    pub fixture: bool,
    pub run: for<'a> fn(&'a Demo) -> BoxFuture<'a, anyhow::Result<String>>,
}

/// What the house knows of its programs, for the parts below the assembly
/// that show them (the navigation bars, the audit labels): registered once by
/// `app::router`, which alone names the list of programs — naming it from
/// below would be an import cycle.
#[derive(Default)]
pub struct Registry {
    pub console_nav: Vec<&'static NavItem>,
    pub phone_nav: Vec<&'static NavItem>,
    pub audit_labels: Vec<(&'static str, &'static str)>,
    pub point_events: Vec<(&'static str, &'static str)>,
    pub home_cards: Vec<&'static HomeCard>,
    pub figures: Vec<&'static FigureSource>,
    pub records: Vec<&'static RecordSource>,
}

static REGISTRY: std::sync::OnceLock<Registry> = std::sync::OnceLock::new();

/// The list is a constant: registering again (another app in a test) changes nothing.
pub fn register(r: Registry) {
    let _ = REGISTRY.set(r);
}

pub fn registry() -> &'static Registry {
    REGISTRY.get_or_init(Registry::default)
}

/// What an audit action means, for people reading the log.
pub fn audit_label(action: &str) -> &'static str {
    registry()
        .audit_labels
        .iter()
        .find(|(a, _)| *a == action)
        .map(|(_, label)| *label)
        .unwrap_or("其他")
}
