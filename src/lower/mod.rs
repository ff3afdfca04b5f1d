//! Lowering: each format's AST becomes facts in the deploy model.

pub mod compose;
pub mod compose_project;
pub mod dockerfile;
pub mod fly;
pub mod images;
pub mod interpolate;
pub mod kubernetes;
pub mod nginx;
pub mod nginx_placement;
pub mod procfile;
pub mod systemd;
