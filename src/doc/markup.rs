//! Markup → element tree.
use super::node::{DocError, Node};

pub fn parse(_source: &str) -> Result<Node, DocError> {
    todo!()
}
