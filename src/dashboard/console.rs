//! `/dashboard`: the figures as cards, distributions as bar charts drawn on
//! the server (SVG, readable without JavaScript and by a screen reader), and
//! the children in a table, every number a link to the list it counts.
//! `screen=1` is the hall screen (数据大屏): full width, no menu, refreshing
//! itself every minute.

use super::ops::{self, Dashboard};
use super::rules::{self, Bar};
use crate::auth::{Caller, PageCaller};
use crate::program::Figure;
use crate::state::AppState;
use crate::web::pages::{render_with, OrPage, PageResult};
use crate::web::Nav;
use crate::web::PageForm;
use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::Router;
use serde::Deserialize;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/dashboard", get(page))
        .route("/dashboard/report.xlsx", get(report))
        .route("/dashboard/targets", post(set_target))
        .route("/dashboard/targets/{id}/delete", post(delete_target))
}

#[derive(Deserialize)]
struct PageQuery {
    org_id: Option<String>,
    year: Option<String>,
    months: Option<String>,
    screen: Option<String>,
}

impl PageQuery {
    fn dashboard(&self) -> ops::DashboardQuery {
        let number =
            |v: &Option<String>| crate::web::non_empty(v).and_then(|v| v.parse::<i64>().ok());
        ops::DashboardQuery {
            org_id: number(&self.org_id),
            year: number(&self.year),
            months: number(&self.months),
        }
    }
}

struct LineView {
    label: String,
    /// "x,y x,y …" of the known months.
    points: String,
    dots: Vec<(u32, u32, String, bool)>,
    /// Everything the chart shows, in one sentence, for a screen reader.
    summary: String,
    top: String,
}

/// The target form, and where the page was (`v_org`, `v_year`).
#[derive(Deserialize, Default, Clone)]
struct TargetForm {
    #[serde(default)]
    v_org: String,
    #[serde(default)]
    v_year: String,
    #[serde(default)]
    figure_key: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    target: String,
}

struct Card {
    label: String,
    value: String,
    unit: String,
    /// "占在册会员 12.3%", or empty.
    share: String,
    href: String,
}

struct BarRow {
    label: String,
    value: String,
    share: String,
    href: String,
    bar: Bar,
}

struct Chart {
    title: String,
    height: u32,
    /// Everything the chart shows, in one sentence, for a screen reader.
    summary: String,
    rows: Vec<BarRow>,
}

struct GroupView {
    title: String,
    cards: Vec<Card>,
    charts: Vec<Chart>,
}

struct Cell {
    text: String,
    href: String,
}

struct Row {
    name: String,
    href: String,
    cells: Vec<Cell>,
    /// The 本级 and 合计 rows.
    sum: bool,
}

struct TargetRow {
    id: i64,
    label: String,
    target_text: String,
    value_text: String,
    percent: f64,
    /// The progress bar's filled width, of 400.
    bar_width: u32,
    reached: bool,
    gap_text: String,
    /// "下级目标合计 75,000 人，低于本级目标" or empty.
    apportioned: String,
    rollup: Vec<(String, String, String)>,
}

#[derive(Template)]
#[template(path = "dashboard/page.html")]
struct DashboardPage {
    nav: Option<Nav>,
    org_id: i64,
    org_name: String,
    above: Vec<(i64, String)>,
    date: String,
    year: i64,
    screen: bool,
    groups: Vec<GroupView>,
    headers: Vec<String>,
    rows: Vec<Row>,
    children_total: i64,
    children_shown: usize,
    left: u32,
    line_left: u32,
    line_right: u32,
    line_bottom: u32,
    line_top: u32,
    first_month: String,
    last_month: String,
    lines: Vec<LineView>,
    targets: Vec<TargetRow>,
    can_set_targets: bool,
    /// The figures a target may be set for: (key, label, is a share).
    target_options: Vec<(String, String, bool)>,
    csrf: String,
    /// Why the last target form could not be saved.
    error: String,
    typed: TargetForm,
}

async fn page(
    State(s): State<AppState>,
    PageCaller(c): PageCaller,
    Query(q): Query<PageQuery>,
) -> PageResult {
    let screen = matches!(q.screen.as_deref(), Some("1" | "true"));
    render(&s, &c, &q.dashboard(), screen, Outcome::default()).await
}

/// Why the target form could not be saved, and what was typed.
async fn report(
    State(s): State<AppState>,
    PageCaller(c): PageCaller,
    Query(q): Query<PageQuery>,
) -> PageResult {
    let d = q.dashboard();
    let (bytes, name) = ops::report(&s, &c, d.org_id, d.year).await.or_page(&c)?;
    Ok(crate::web::files::xlsx_response(bytes, &name))
}

#[derive(Default)]
struct Outcome {
    error: String,
    typed: TargetForm,
}

async fn render(
    s: &AppState,
    c: &Caller,
    q: &ops::DashboardQuery,
    screen: bool,
    outcome: Outcome,
) -> PageResult {
    let d = ops::dashboard(s, c, q).await.or_page(c)?;
    let all = all_figures(&d);
    let view = DashboardPage {
        nav: (!screen).then(|| Nav::new(c, "dashboard")),
        org_id: d.org.id,
        org_name: d.org.name.clone(),
        above: d.above.iter().map(|o| (o.id, o.name.clone())).collect(),
        date: d.date.clone(),
        year: d.year,
        screen,
        groups: d
            .groups
            .iter()
            .map(|g| group_view(&g.title, &g.figures, &all))
            .collect(),
        headers: table_figures(&d).iter().map(|f| f.label.clone()).collect(),
        rows: table_rows(&d),
        children_total: d.children_total,
        children_shown: d.children.len(),
        left: rules::LEFT,
        line_left: rules::LINE_LEFT,
        line_right: rules::LINE_LEFT + rules::LINE_WIDTH,
        line_bottom: rules::LINE_TOP + rules::LINE_HEIGHT,
        line_top: rules::LINE_TOP,
        first_month: d.months.first().cloned().unwrap_or_default(),
        last_month: d.months.last().cloned().unwrap_or_default(),
        lines: d.trends.iter().map(|t| line_view(t, &d.months)).collect(),
        targets: d
            .targets
            .iter()
            .map(|t| TargetRow {
                id: t.id,
                label: t.label.clone(),
                target_text: t.target_text.clone(),
                value_text: t.value_text.clone(),
                percent: t.progress_percent,
                bar_width: (t.progress_percent * 4.0).round() as u32,
                reached: t.reached,
                gap_text: t.gap_text.clone(),
                apportioned: match t.children_target_total {
                    Some(sum) if sum < t.target => {
                        format!("下级目标合计 {}，低于本级目标", rules::grouped(sum))
                    }
                    Some(sum) => format!("下级目标合计 {}，已覆盖本级目标", rules::grouped(sum)),
                    None => String::new(),
                },
                rollup: t
                    .rollup
                    .iter()
                    .map(|r| {
                        let own = match (r.target, r.reached) {
                            (Some(_), Some(true)) => "已达成本级目标".to_string(),
                            (Some(x), Some(false)) => format!(
                                "本级目标 {}，未达成",
                                match t.kind.as_str() {
                                    "share" => rules::per_mille_text(x),
                                    _ => rules::grouped(x),
                                }
                            ),
                            _ => "未设目标".to_string(),
                        };
                        (r.org.name.clone(), r.value_text.clone(), own)
                    })
                    .collect(),
            })
            .collect(),
        can_set_targets: d.can_set_targets && !screen,
        target_options: table_figures(&d)
            .iter()
            .map(|f| (f.key.clone(), f.label.clone(), f.share_of.is_some()))
            .collect(),
        csrf: c.csrf.clone(),
        error: outcome.error,
        typed: outcome.typed,
    };
    let status = match view.error.is_empty() {
        true => StatusCode::OK,
        false => StatusCode::UNPROCESSABLE_ENTITY,
    };
    Ok(render_with(status, &view))
}

async fn set_target(
    State(s): State<AppState>,
    PageForm { caller: c, form: f }: PageForm<TargetForm>,
) -> PageResult {
    let org_id = f.v_org.parse::<i64>().ok();
    let year = f.v_year.parse::<i64>().ok();
    let input = ops::TargetInput {
        org_id: org_id.unwrap_or(0),
        year: year.unwrap_or(0),
        figure_key: f.figure_key.clone(),
        kind: f.kind.clone(),
        target: f.target.clone(),
    };
    let result = ops::set_target(&s, &c, &input).await;
    back_to_the_dashboard(&s, &c, &f, result, f.clone()).await
}

async fn delete_target(
    State(s): State<AppState>,
    axum::extract::Path(id): axum::extract::Path<i64>,
    PageForm { caller: c, form: f }: PageForm<TargetForm>,
) -> PageResult {
    let result = ops::delete_target(&s, &c, id).await;
    back_to_the_dashboard(&s, &c, &f, result, TargetForm::default()).await
}

/// After a target form: the dashboard it came from, or that page again with
/// the mistake and what was typed (`typed`).
async fn back_to_the_dashboard<T>(
    s: &AppState,
    c: &Caller,
    f: &TargetForm,
    result: crate::web::error::AppResult<T>,
    typed: TargetForm,
) -> PageResult {
    let org_id = f.v_org.parse::<i64>().ok();
    let year = f.v_year.parse::<i64>().ok();
    let again = |e: crate::web::error::AppError| {
        let outcome = Outcome {
            error: e.form_message(),
            typed,
        };
        let q = ops::DashboardQuery {
            org_id,
            year,
            months: None,
        };
        async move { render(s, c, &q, false, outcome).await }
    };
    let back = format!(
        "/dashboard?org_id={}{}",
        org_id.unwrap_or_default(),
        year.map(|y| format!("&year={y}")).unwrap_or_default()
    );
    let done = |_| crate::web::form::see(back);
    crate::web::form::finish(c, result, done, again).await
}

/// A trend as a line: its points, a dot per known month with its words,
/// and a sentence for a screen reader. Lines with no value at all are left out.
fn line_view(t: &crate::program::Trend, months: &[String]) -> LineView {
    let (dots, max) = rules::line(&t.values);
    let words = |i: usize| {
        let v = t.values[i].unwrap_or(0);
        let est = if t.estimated[i] {
            "（按入会日期估算）"
        } else {
            ""
        };
        format!("{} {} {}{est}", months[i], rules::grouped(v), t.unit)
    };
    let known: Vec<usize> = dots.iter().map(|d| d.at).collect();
    let summary = match (known.first(), known.last()) {
        (Some(a), Some(b)) => format!("{}：{} 至 {}", t.label, words(*a), words(*b)),
        _ => format!("{}：暂无按月数据", t.label),
    };
    LineView {
        label: t.label.clone(),
        points: dots
            .iter()
            .map(|d| format!("{},{}", d.x, d.y))
            .collect::<Vec<_>>()
            .join(" "),
        dots: dots
            .iter()
            .map(|d| (d.x, d.y, words(d.at), t.estimated[d.at]))
            .collect(),
        summary,
        top: format!("{} {}", rules::grouped(max), t.unit),
    }
}

/// Every figure of the organisation itself, whatever its group.
fn all_figures(d: &Dashboard) -> Vec<Figure> {
    d.groups
        .iter()
        .flat_map(|g| g.figures.iter().cloned())
        .collect()
}

/// The figures the table of children has columns for: all but the parts of a distribution.
fn table_figures(d: &Dashboard) -> Vec<Figure> {
    all_figures(d)
        .into_iter()
        .filter(|f| f.distribution.is_none())
        .collect()
}

/// "占在册会员 12.3%" for a figure that is a share of another.
fn share_text(f: &Figure, of: &[Figure]) -> String {
    let Some(key) = &f.share_of else {
        return String::new();
    };
    match of.iter().find(|w| &w.key == key) {
        Some(whole) => match rules::percent(f.value, whole.value) {
            Some(p) => format!("占{} {p:.1}%", whole.label),
            None => String::new(),
        },
        None => String::new(),
    }
}

fn group_view(title: &str, figures: &[Figure], all: &[Figure]) -> GroupView {
    let cards = figures
        .iter()
        .filter(|f| f.distribution.is_none())
        .map(|f| Card {
            label: f.label.clone(),
            value: rules::grouped(f.value),
            unit: f.unit.clone(),
            share: share_text(f, all),
            href: f.page.clone(),
        })
        .collect();
    let mut names: Vec<&str> = vec![];
    for f in figures {
        if let Some(n) = f.distribution.as_deref() {
            if !names.contains(&n) {
                names.push(n);
            }
        }
    }
    let charts = names
        .into_iter()
        .map(|name| {
            let parts: Vec<&Figure> = figures
                .iter()
                .filter(|f| f.distribution.as_deref() == Some(name))
                .collect();
            let bars = rules::bars(&parts.iter().map(|f| f.value).collect::<Vec<_>>());
            let rows: Vec<BarRow> = parts
                .iter()
                .zip(bars)
                .map(|(f, bar)| BarRow {
                    label: f.label.clone(),
                    value: format!("{} {}", rules::grouped(f.value), f.unit),
                    share: share_text(f, all),
                    href: f.page.clone(),
                    bar,
                })
                .collect();
            let summary = format!(
                "{name}：{}",
                rows.iter()
                    .map(|r| match r.share.is_empty() {
                        true => format!("{} {}", r.label, r.value),
                        false => format!("{} {}（{}）", r.label, r.value, r.share),
                    })
                    .collect::<Vec<_>>()
                    .join("，")
            );
            Chart {
                title: name.to_string(),
                height: rules::chart_height(rows.len()),
                summary,
                rows,
            }
        })
        .collect();
    GroupView {
        title: title.to_string(),
        cards,
        charts,
    }
}

fn cell(f: &Figure, of: &[Figure]) -> Cell {
    let share = share_text(f, of);
    Cell {
        text: match share.is_empty() {
            true => rules::grouped(f.value),
            // In a table the whole is the column to the left: the percentage alone.
            false => format!(
                "{}（{}）",
                rules::grouped(f.value),
                share.rsplit(' ').next().unwrap_or_default()
            ),
        },
        href: f.page.clone(),
    }
}

/// A row per child, then 本级 (what the union holds itself) and 合计.
fn table_rows(d: &Dashboard) -> Vec<Row> {
    let columns = table_figures(d);
    let mut rows: Vec<Row> = d
        .children
        .iter()
        .map(|c| Row {
            name: c.org.name.clone(),
            href: format!("/dashboard?org_id={}", c.org.id),
            cells: columns
                .iter()
                .map(|col| match c.figures.iter().find(|f| f.key == col.key) {
                    Some(f) => cell(f, &c.figures),
                    None => Cell {
                        text: "—".into(),
                        href: String::new(),
                    },
                })
                .collect(),
            sum: false,
        })
        .collect();
    if rows.is_empty() {
        return rows;
    }
    if d.children.len() as i64 == d.children_total {
        let total: Vec<i64> = columns.iter().map(|f| f.value).collect();
        let children: Vec<Vec<i64>> = d
            .children
            .iter()
            .map(|c| {
                columns
                    .iter()
                    .map(|col| {
                        c.figures
                            .iter()
                            .find(|f| f.key == col.key)
                            .map_or(0, |f| f.value)
                    })
                    .collect()
            })
            .collect();
        let own = rules::own_part(&total, &children);
        rows.push(Row {
            name: "本级".into(),
            href: String::new(),
            cells: own
                .iter()
                .zip(&columns)
                .map(|(v, f)| Cell {
                    // Different people are counted once: no own part by subtraction.
                    text: if f.additive {
                        rules::grouped(*v)
                    } else {
                        "—".into()
                    },
                    href: String::new(),
                })
                .collect(),
            sum: true,
        });
    }
    rows.push(Row {
        name: "合计".into(),
        href: String::new(),
        cells: columns.iter().map(|f| cell(f, &columns)).collect(),
        sum: true,
    });
    rows
}
