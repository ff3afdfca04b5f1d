//! Lowering: each format's AST becomes facts in the deploy model.

pub mod dockerfile;
pub mod images;
pub mod kubernetes;
