//! JSON document → element tree.
use super::node::{DocError, Node};

pub fn to_tree(_value: &serde_json::Value, _pointer: &str) -> Result<Node, Vec<DocError>> {
    todo!()
}
