//! The scoring engine (issue 13), shared by every program that scores
//! entries against a rubric: honour reviews, the mentors' two-way
//! evaluation, skills competitions, skill exams, star ratings. Its rules are
//! pure (`rules`); the rubrics, assignments and marks will be kept by its
//! store as the programs that score arrive.

pub mod rules;
