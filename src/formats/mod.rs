//! Parsers, one module per format, each producing an AST with byte spans; and the dispatch that
//! parses a file and lowers it into model facts.

pub mod dockerfile;

use crate::model::Model;
use crate::source::{FileId, FileKind, SourceFile};
use crate::span::Span;

/// The model facts of one file, merged into the run's model after the parallel stage.
#[derive(Debug, Default)]
pub struct Fragment {
    pub workloads: Vec<crate::model::Workload>,
    /// `Image::workload` indexes `workloads` of this fragment until merged.
    pub images: Vec<crate::model::Image>,
}

impl Fragment {
    pub fn merge_into(self, model: &mut Model) {
        let workload_base = model.workloads.len();
        let image_base = model.images.len();
        for mut workload in self.workloads {
            workload.image = workload.image.map(|i| i + image_base);
            model.workloads.push(workload);
        }
        for mut image in self.images {
            image.workload += workload_base;
            model.images.push(image);
        }
    }
}

/// A parse failure of any format.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseFailure {
    pub message: String,
    pub span: Span,
}

/// Parse one file and lower it into model facts.
pub fn parse_and_lower(
    id: FileId,
    file: &SourceFile,
    dir: Option<&std::path::Path>,
) -> Result<Fragment, ParseFailure> {
    match file.kind {
        FileKind::Dockerfile => {
            let parsed = dockerfile::parse(&file.text).map_err(|e| ParseFailure {
                message: e.message,
                span: e.span,
            })?;
            Ok(crate::lower::dockerfile::lower(id, &parsed, dir))
        }
        FileKind::ShellScript => Ok(Fragment::default()),
    }
}
