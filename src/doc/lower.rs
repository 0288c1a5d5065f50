//! Element tree → validated document.
use super::node::{DocError, Node};
use super::{Assets, Document};

pub fn lower(_tree: &Node, _assets: Assets<'_>) -> Result<Document, Vec<DocError>> {
    todo!()
}
