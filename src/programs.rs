//! THE list of programs. The router, the OpenAPI document, both navigation
//! bars, the audit labels, the scheduler and the demo loader walk it; a new
//! program is one line here (and its folder, migrations and tests).

use crate::program::{Demo, NavItem, Program};

pub static PROGRAMS: &[&Program] = &[
    &crate::org::PROGRAM,
    &crate::enterprise::PROGRAM,
    &crate::member::PROGRAM,
    &crate::roster::PROGRAM,
    &crate::auth::PROGRAM,
    &crate::audit::PROGRAM,
    &crate::academy::PROGRAM,
    &crate::points::PROGRAM,
    &crate::cadre::PROGRAM,
    &crate::dashboard::PROGRAM,
    &crate::scoring::PROGRAM,
];

/// The registry the parts below the assembly read (bars, audit labels).
pub fn registry() -> crate::program::Registry {
    crate::program::Registry {
        console_nav: console_nav(),
        phone_nav: phone_nav(),
        audit_labels: PROGRAMS
            .iter()
            .flat_map(|p| p.audit_labels.iter().copied())
            .collect(),
        point_events: PROGRAMS
            .iter()
            .flat_map(|p| p.point_events.iter().copied())
            .collect(),
        records: PROGRAMS.iter().flat_map(|p| p.records.iter()).collect(),
        figures: {
            let mut sources: Vec<_> = PROGRAMS.iter().flat_map(|p| p.figures.iter()).collect();
            sources.sort_by_key(|f| f.order);
            sources
        },
        home_cards: {
            let mut cards: Vec<_> = PROGRAMS.iter().flat_map(|p| p.home_cards.iter()).collect();
            cards.sort_by_key(|c| c.order);
            cards
        },
    }
}

/// Every navigation link of one bar, in bar order.
fn bar(pick: fn(&Program) -> &'static [NavItem]) -> Vec<&'static NavItem> {
    let mut items: Vec<&'static NavItem> = PROGRAMS.iter().flat_map(|p| pick(p).iter()).collect();
    items.sort_by_key(|i| i.order);
    items
}

pub fn console_nav() -> Vec<&'static NavItem> {
    bar(|p| p.console_nav)
}

pub fn phone_nav() -> Vec<&'static NavItem> {
    bar(|p| p.phone_nav)
}

/// Loads the demo: every program's steps in list order (`showcase`: also the
/// steps that are not part of the tests' fixture). Returns what each added.
pub async fn load_demo(demo: &Demo, showcase: bool) -> anyhow::Result<String> {
    let mut report = vec![];
    for p in PROGRAMS {
        for step in p.demo.iter().filter(|s| s.fixture || showcase) {
            report.push((step.run)(demo).await?);
        }
    }
    Ok(report.join("\n"))
}

/// Starts every program's background jobs (the server calls this once).
pub fn start_jobs(db: &crate::db::Db) {
    for p in PROGRAMS {
        for job in p.jobs {
            let db = db.clone();
            tokio::spawn(async move {
                let mut every = tokio::time::interval(job.every);
                loop {
                    every.tick().await;
                    match (job.run)(db.clone()).await {
                        Ok(Some(line)) => tracing::info!("{}: {line}", job.name),
                        Ok(None) => {}
                        Err(e) => tracing::warn!("{} failed: {e:#}", job.name),
                    }
                }
            });
        }
    }
}
