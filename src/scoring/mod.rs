//! The scoring engine (issue 13), shared by every program that scores
//! entries against a rubric: honour reviews, the mentors' two-way
//! evaluation, skills competitions, skill exams, star ratings. Its rules are
//! pure (`rules`); its store keeps rubrics in versions and each entry's
//! board of sheets, marks and locks, every change audited (`store`).

pub mod rules;
pub mod store;
