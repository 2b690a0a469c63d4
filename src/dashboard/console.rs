//! `/dashboard`: the figures as cards, distributions as bar charts drawn on
//! the server (SVG, readable without JavaScript and by a screen reader), and
//! the children in a table, every number a link to the list it counts.
//! `screen=1` is the hall screen (数据大屏): full width, no menu, refreshing
//! itself every minute.

use super::ops::{self, Dashboard};
use super::rules::{self, Bar};
use crate::auth::PageCaller;
use crate::program::Figure;
use crate::state::AppState;
use crate::web::pages::{render_with, OrPage, PageResult};
use crate::web::Nav;
use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::routing::get;
use axum::Router;
use serde::Deserialize;

pub fn router() -> Router<AppState> {
    Router::new().route("/dashboard", get(page))
}

#[derive(Deserialize)]
struct PageQuery {
    org_id: Option<String>,
    screen: Option<String>,
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

#[derive(Template)]
#[template(path = "dashboard/page.html")]
struct DashboardPage {
    nav: Option<Nav>,
    org_id: i64,
    org_name: String,
    above: Vec<(i64, String)>,
    date: String,
    screen: bool,
    groups: Vec<GroupView>,
    headers: Vec<String>,
    rows: Vec<Row>,
    children_total: i64,
    children_shown: usize,
    left: u32,
}

async fn page(
    State(s): State<AppState>,
    PageCaller(c): PageCaller,
    Query(q): Query<PageQuery>,
) -> PageResult {
    let org_id = crate::web::non_empty(&q.org_id).and_then(|v| v.parse::<i64>().ok());
    let d = ops::dashboard(&s, &c, org_id).await.or_page(&c)?;
    let screen = matches!(q.screen.as_deref(), Some("1" | "true"));
    let view = DashboardPage {
        nav: (!screen).then(|| Nav::new(&c, "dashboard")),
        org_id: d.org.id,
        org_name: d.org.name.clone(),
        above: d.above.iter().map(|o| (o.id, o.name.clone())).collect(),
        date: d.date.clone(),
        screen,
        groups: d
            .groups
            .iter()
            .map(|g| group_view(&g.title, &g.figures, &all_figures(&d)))
            .collect(),
        headers: table_figures(&d).iter().map(|f| f.label.clone()).collect(),
        rows: table_rows(&d),
        children_total: d.children_total,
        children_shown: d.children.len(),
        left: rules::LEFT,
    };
    Ok(render_with(StatusCode::OK, &view))
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
                .map(|v| Cell {
                    text: rules::grouped(*v),
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
