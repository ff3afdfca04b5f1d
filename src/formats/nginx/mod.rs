//! nginx configuration: a tokenizer and tree with byte spans ([`parse`]), and the semantic
//! layer the SL2xx rules use ([`model`]: contexts, inheritance, upstreams, pass targets;
//! [`time`]: time values; [`include`]: resolving `include` patterns; [`template`]: the official
//! image's envsubst templates).
//!
//! ```
//! use shutdownlint::formats::nginx::{parse, Scope};
//! let text = "upstream app { server a:80; server b:80 max_fails=0; }\n\
//!             server { location / { proxy_pass http://app; } }";
//! let config = parse(text).unwrap();
//! let upstreams = config.upstreams();
//! assert_eq!(upstreams[0].servers[1].max_fails, Some(0));
//! let pass = &config.passes()[0];
//! assert_eq!(pass.upstream_name(), Some("app"));
//! assert!(pass.scope.proxy_next_upstream().is_default());
//! # let _ = Scope::top(&config);
//! ```

pub mod include;
mod lua;
pub mod model;
mod syntax;
pub mod template;
pub mod time;

pub use include::{resolve_include, IncludeIndex, CONVENTIONAL_PREFIXES};
pub use model::{
    defaults, ContextKind, Inherited, NextUpstream, Pass, PassTarget, Scope, Setting, Upstream,
    UpstreamServer, PASS_DIRECTIVES,
};
pub use syntax::{parse, Arg, Block, Config, Directive, ParseError, MAX_DEPTH};
