//! The scoring engine (issue 13), shared by every program that scores
//! entries against a rubric: honour reviews, the mentors' two-way
//! evaluation, skills competitions, skill exams, star ratings. Its rules are
//! pure (`rules`); its store keeps rubrics in versions and each entry's
//! board of sheets, marks and locks, every change audited (`store`).

pub mod rules;
pub mod store;

use crate::program::Program;

/// The engine in the list of programs: no pages or API of its own (the
/// programs that score carry those), only the names of its audit actions,
/// the same for whichever program scores.
pub const PROGRAM: Program = Program {
    records: &[],
    name: "scoring",
    point_events: &[],
    figures: &[],
    home_cards: &[],
    api: utoipa_axum::router::OpenApiRouter::new,
    pages: axum::Router::new,
    console_nav: &[],
    phone_nav: &[],
    audit_labels: &[
        ("scoring.rubric", "保存评分标准"),
        ("scoring.open", "开始评审"),
        ("scoring.assign", "指派评委"),
        ("scoring.mark", "评委打分"),
        ("scoring.lock", "评委锁定评分"),
        ("scoring.reopen", "重新打开评分"),
        ("scoring.close", "评分最终锁定"),
    ],
    jobs: &[],
    demo: &[],
};
