//! The academy's console pages: courses and sessions, lessons, campuses, the
//! desk's messages and course categories.

pub mod campuses;
pub mod categories;
pub mod courses;
pub mod delivered;
pub mod lessons;
pub mod messages;

use crate::state::AppState;

pub fn router() -> axum::Router<AppState> {
    courses::router()
        .merge(lessons::router())
        .merge(campuses::router())
        .merge(messages::router())
        .merge(categories::router())
        .merge(delivered::router())
}
