//! The enrolment engine every program with places to fill uses (course
//! sessions now; events, volunteer services and pool trainings later):
//! capacity, a waiting list that moves up when someone cancels, check-in in
//! the target's time window, attendance.

pub mod rules;
pub mod store;
