//! Replaced by the generator tests.
