//! The auditor's page (filled in below).
