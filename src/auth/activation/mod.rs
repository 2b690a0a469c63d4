//! Accounts for every worker without an internal number: staff open member
//! accounts for a subtree in one action (the login is the member's phone,
//! each with a one-time activation code handed out on a sheet), and a worker
//! activates on the phone with the code, or with name + ID number + phone
//! checked against the roster through the keyed hashes.

pub mod ops;
pub mod rules;
pub mod store;
