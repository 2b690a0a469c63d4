//! Data to start from: the demo world, and names and numbers for synthetic people.

pub mod demo;
pub mod people;
pub mod synthetic;
