//! Parsers, one module per format, each producing an AST with byte spans; and the dispatch that
//! parses a file and lowers it into model facts.

pub mod dockerfile;
pub mod nginx;
pub mod procfile;
pub mod systemd;
pub mod yaml;

use crate::model::Model;
use crate::source::{FileId, FileKind, SourceFile};
use crate::span::Span;

/// The model facts of one file, merged into the run's model after the parallel stage.
#[derive(Debug, Default)]
pub struct Fragment {
    pub workloads: Vec<crate::model::Workload>,
    /// `Image::workload` indexes `workloads` of this fragment until merged.
    pub images: Vec<crate::model::Image>,
    pub services: Vec<crate::model::Service>,
    pub autoscalers: Vec<crate::model::Autoscaler>,
    pub image_builds: Vec<crate::model::ImageBuild>,
    pub nginx: Vec<crate::lower::nginx::NginxFile>,
    /// systemd units and drop-ins, assembled into workloads once all files are parsed.
    pub systemd: Vec<crate::lower::systemd::SystemdFile>,
    /// Suppressions, template sources and file-level problems found while lowering.
    pub file_facts: crate::lower::kubernetes::FileFacts,
    /// Pod templates found but not lowered ([`crate::lower::kubernetes::Workloads::LeaveOut`]):
    /// for each parsed document of the manifest that has any, its index (see
    /// [`crate::lower::kubernetes::Workloads::OnlyDocuments`]) and how many.
    pub left_out: Vec<(u32, u32)>,
}

impl Fragment {
    /// No model facts: nothing in the run can point into the file through this fragment.
    /// (Every field is named, so a new kind of fact cannot be forgotten here.)
    pub fn is_empty(&self) -> bool {
        let Fragment {
            workloads,
            images,
            services,
            autoscalers,
            image_builds,
            nginx,
            systemd,
            file_facts,
            left_out,
        } = self;
        let crate::lower::kubernetes::FileFacts {
            suppressions,
            template_sources,
            problems,
        } = file_facts;
        workloads.is_empty()
            && left_out.is_empty()
            && images.is_empty()
            && services.is_empty()
            && autoscalers.is_empty()
            && image_builds.is_empty()
            && nginx.is_empty()
            && systemd.is_empty()
            && suppressions.is_empty()
            && template_sources.is_empty()
            && problems.is_empty()
    }

    /// Workloads, all of them Kubernetes pod templates, and no images: what a Kubernetes
    /// manifest gives. Such workloads can be lowered again from the file alone (see
    /// `crate::KEPT_WORKLOADS`).
    pub fn has_only_kubernetes_workloads(&self) -> bool {
        !self.workloads.is_empty()
            && self.images.is_empty()
            && self.workloads.iter().all(|w| w.kubernetes.is_some())
    }

    /// Image linking looks up files next to this one (see `crate::link::link_images`): a
    /// skaffold artifact, a compose `build:`, a fly `[build] dockerfile`.
    pub fn links_by_folder(&self) -> bool {
        !self.image_builds.is_empty() || self.workloads.iter().any(|w| w.kubernetes.is_none())
    }

    /// Give back the spare capacity of the fact vectors: they are kept for the whole run, and
    /// a vector grown by pushing holds up to twice what it needs (at least four elements).
    pub fn shrink_to_fit(&mut self) {
        self.workloads.shrink_to_fit();
        for workload in &mut self.workloads {
            workload.shrink_to_fit();
        }
        self.images.shrink_to_fit();
        self.services.shrink_to_fit();
        for service in &mut self.services {
            service.selector.shrink_to_fit();
        }
        self.autoscalers.shrink_to_fit();
        self.image_builds.shrink_to_fit();
        self.nginx.shrink_to_fit();
        self.systemd.shrink_to_fit();
    }

    pub fn merge_into(self, model: &mut Model) {
        let workload_base = model.workloads.len();
        let image_base = model.images.len();
        for mut workload in self.workloads {
            workload.image = workload.image.map(|i| i + image_base);
            for process in &mut workload.processes {
                process.image = process.image.map(|i| i + image_base);
            }
            model.workloads.push(workload);
        }
        for mut image in self.images {
            image.workload += workload_base;
            model.images.push(image);
        }
        model.services.extend(self.services);
        model.autoscalers.extend(self.autoscalers);
        model.image_builds.extend(self.image_builds);
        model.nginx.extend(self.nginx);
        model.systemd_files.extend(self.systemd);
    }
}

/// Make room in `model` for the facts of `fragments`, exactly (see [`Fragment::merge_into`]).
pub fn reserve<'a>(model: &mut Model, fragments: impl Iterator<Item = &'a Fragment>) {
    let mut counts = [0usize; 7];
    for f in fragments {
        for (count, len) in counts.iter_mut().zip([
            f.workloads.len(),
            f.images.len(),
            f.services.len(),
            f.autoscalers.len(),
            f.image_builds.len(),
            f.nginx.len(),
            f.systemd.len(),
        ]) {
            *count += len;
        }
    }
    let [workloads, images, services, autoscalers, image_builds, nginx, systemd] = counts;
    model.workloads.reserve_exact(workloads);
    model.images.reserve_exact(images);
    model.services.reserve_exact(services);
    model.autoscalers.reserve_exact(autoscalers);
    model.image_builds.reserve_exact(image_builds);
    model.nginx.reserve_exact(nginx);
    model.systemd_files.reserve_exact(systemd);
}

/// A parse failure of any format.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseFailure {
    pub message: String,
    pub span: Span,
}

/// What parsing one file gave.
#[derive(Debug)]
pub enum Parsed {
    Lowered(Box<Fragment>),
    /// Not one of our formats after all (YAML without Kubernetes documents): silently ignored.
    Ignored,
    /// Not linted, with a note for stderr (a template that is not the format itself).
    Skipped(String),
    Failed(ParseFailure),
}

/// The first problem that makes the platform reject a systemd unit or Procfile (warnings are
/// lines it ignores).
fn first_error(problems: &[systemd::Problem]) -> Option<ParseFailure> {
    problems
        .iter()
        .find(|p| p.severity == systemd::Severity::Error)
        .map(|p| ParseFailure {
            message: p.message.clone(),
            span: p.span,
        })
}

/// Template syntax that makes a file a template of the format rather than the format itself.
pub fn has_template_syntax(text: &str) -> bool {
    text.contains("{{") || text.contains("{%")
}

/// Whether the file sits in a folder named `templates` (a Helm chart's templates, an Ansible
/// role's): a `{{` there is read as templating even where the YAML keeps it in a string.
fn in_templates_folder(path: &str) -> bool {
    let mut folders = path.split(['/', '\\']).rev().skip(1);
    folders.any(|folder| folder.eq_ignore_ascii_case("templates"))
}

fn is_fragment(file: &SourceFile) -> bool {
    let name = std::path::Path::new(&file.path)
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or("")
        .to_ascii_lowercase();
    let standalone = name == "dockerfile" || name == "containerfile";
    !standalone
        && !file.text.lines().any(|line| {
            line.trim_start()
                .get(..5)
                .is_some_and(|w| w.eq_ignore_ascii_case("from "))
        })
}

/// The parsed nginx file as a fragment of model facts.
fn nginx_fragment(id: FileId, file: &SourceFile, mut config: nginx::Config) -> Fragment {
    config.shrink_to_fit();
    let mut fragment = Fragment::default();
    fragment.nginx.push(crate::lower::nginx::NginxFile {
        file: id,
        path: file.path.clone(),
        config,
    });
    fragment
}

/// The 1-based line of a byte offset.
fn line_of(text: &str, offset: usize) -> usize {
    let before = text.get(..offset).unwrap_or(text);
    before.bytes().filter(|&b| b == b'\n').count() + 1
}

/// Parse one file and lower it into model facts.
/// Settings that change how files are lowered.
#[derive(Debug, Clone, Default)]
pub struct LowerOptions {
    /// `[procfile] kill-timeout` in seconds.
    pub procfile_kill_timeout: Option<f64>,
    /// Which Kubernetes objects are lowered (see `crate::KEPT_WORKLOADS`).
    pub workloads: crate::lower::kubernetes::Workloads,
}

///
/// `name` is the file's name on disk when it is read from there (the display path's otherwise;
/// a name that is not UTF-8 is shown lossily but looked up as it is).
pub fn parse_and_lower(
    id: FileId,
    file: &SourceFile,
    dir: Option<&std::path::Path>,
    name: Option<&std::ffi::OsStr>,
    options: &LowerOptions,
) -> Parsed {
    match file.kind {
        FileKind::Dockerfile => match dockerfile::parse(&file.text) {
            Ok(parsed) => {
                let name = name.or_else(|| std::path::Path::new(&file.path).file_name());
                Parsed::Lowered(Box::new(crate::lower::dockerfile::lower(
                    id, &parsed, dir, name,
                )))
            }
            // Docker accepts `{{` inside strings (`--format '{{json .}}'`), so a template is only
            // recognised when the file does not parse.
            Err(_) if has_template_syntax(&file.text) => Parsed::Skipped(format!(
                "{}: looks like a template (`{{{{`), not a Dockerfile; skipped (lint the rendered file)",
                file.path
            )),
            // A `Dockerfile.*` without FROM is a fragment that a build system splices into a
            // Dockerfile; only a file named exactly Dockerfile/Containerfile must stand alone.
            Err(_) if is_fragment(file) => Parsed::Skipped(format!(
                "{}: has no FROM instruction, so it is a fragment rather than a Dockerfile; skipped",
                file.path
            )),
            Err(e) => Parsed::Failed(ParseFailure {
                message: e.message,
                span: e.span,
            }),
        },
        FileKind::ShellScript => Parsed::Lowered(Box::default()),
        FileKind::Migration => Parsed::Ignored,
        FileKind::Nginx => {
            let name = file.path.rsplit('/').next().unwrap_or("");
            let trusted = name == "nginx.conf"
                || crate::discover::in_nginx_folder(std::path::Path::new(&file.path));
            // The official image renders a template with envsubst before nginx reads it (see
            // `nginx::template`): it is parsed as written, findings point into it.
            let template = crate::discover::is_nginx_template(std::path::Path::new(&file.path));
            match nginx::parse(&file.text) {
                Ok(config)
                    if template && crate::lower::nginx::is_nginx(&config, trusted) =>
                {
                    match nginx::template::unknown_setting(&config) {
                        // A directive whose name is a reference (`${EXTRA_SETTINGS};`) may
                        // render to any directives.
                        Some((span, directive)) if directive.contains('$') => Parsed::Skipped(format!(
                            "{}:{}: an nginx template with a directive whose name `{}` comes from the environment (envsubst fills it in when the container starts, and it may render to any directives), so what it sets is unknown; not judged",
                            file.path,
                            line_of(&file.text, span.start),
                            span.slice(&file.text)
                        )),
                        Some((span, directive)) => Parsed::Skipped(format!(
                            "{}:{}: an nginx template whose `{directive}` takes `{}` from the environment (envsubst fills it in when the container starts), so what it sets is unknown; not judged",
                            file.path,
                            line_of(&file.text, span.start),
                            span.slice(&file.text)
                        )),
                        None => Parsed::Lowered(Box::new(nginx_fragment(id, file, config))),
                    }
                }
                Ok(config) if crate::lower::nginx::is_nginx(&config, trusted) => {
                    Parsed::Lowered(Box::new(nginx_fragment(id, file, config)))
                }
                Ok(_) => Parsed::Ignored,
                Err(_) if has_template_syntax(&file.text) => Parsed::Skipped(format!(
                    "{}: looks like a template (`{{{{`/`{{%`), not nginx configuration; skipped",
                    file.path
                )),
                // What envsubst fills in may make a template parse (`${DIRECTIVES}`); one that
                // does not parse as written is not judged, with a note.
                Err(e) if template && crate::lower::nginx::looks_like_nginx(&file.text) => {
                    Parsed::Skipped(format!(
                        "{}:{}: an nginx template (rendered by envsubst when the container starts) that does not parse as written ({}); not judged",
                        file.path,
                        line_of(&file.text, e.span.start),
                        e.message
                    ))
                }
                Err(_) if template => Parsed::Ignored,
                // A file named nginx.conf is nginx configuration whatever it holds.
                Err(e) if name == "nginx.conf" || crate::lower::nginx::looks_like_nginx(&file.text) => {
                    Parsed::Failed(ParseFailure {
                        message: e.message,
                        span: e.span,
                    })
                }
                Err(_) => Parsed::Ignored,
            }
        }
        FileKind::Compose => {
            let mut fragment = Fragment::default();
            let mut facts = crate::lower::kubernetes::FileFacts::default();
            match crate::lower::compose::lower(id, &file.text, &mut fragment, &mut facts) {
                Ok(()) => {
                    fragment.file_facts = facts;
                    Parsed::Lowered(Box::new(fragment))
                }
                Err(_) if has_template_syntax(&file.text) => Parsed::Skipped(format!(
                    "{}: looks like a template (`{{{{`), not a compose file; skipped",
                    file.path
                )),
                Err(failure) => Parsed::Failed(failure),
            }
        }
        FileKind::Procfile => {
            let procfile = procfile::parse(&file.text);
            if let Some(failure) = first_error(&procfile.problems) {
                return Parsed::Failed(failure);
            }
            let mut fragment = Fragment::default();
            crate::lower::procfile::lower(id, &procfile, options.procfile_kill_timeout, &mut fragment);
            Parsed::Lowered(Box::new(fragment))
        }
        FileKind::Fly => {
            let mut fragment = Fragment::default();
            match crate::lower::fly::lower(id, &file.text, &mut fragment) {
                Ok(()) => Parsed::Lowered(Box::new(fragment)),
                Err(failure) => Parsed::Failed(failure),
            }
        }
        FileKind::Systemd => {
            let unit = systemd::parse(&file.text);
            // systemd refuses a unit with errors; warnings are lines it ignores.
            if let Some(failure) = first_error(&unit.problems) {
                return Parsed::Failed(failure);
            }
            let mut fragment = Fragment::default();
            fragment
                .systemd
                .push(crate::lower::systemd::SystemdFile::new(
                    id,
                    file.path.clone(),
                    unit,
                ));
            Parsed::Lowered(Box::new(fragment))
        }
        FileKind::Yaml => {
            let mut fragment = Fragment::default();
            let mut facts = crate::lower::kubernetes::FileFacts::default();
            match crate::lower::kubernetes::lower(
                id,
                &file.text,
                &mut fragment,
                &mut facts,
                options.workloads,
                in_templates_folder(&file.path),
            ) {
                Ok(crate::lower::kubernetes::Outcome::NotKubernetes) => Parsed::Ignored,
                Ok(crate::lower::kubernetes::Outcome::Template) => Parsed::Skipped(format!(
                    "{}: a Helm/Go template (`{{{{`), not plain YAML; skipped (lint the rendered output: `helm template … | shutdownlint -`)",
                    file.path
                )),
                Ok(crate::lower::kubernetes::Outcome::Lowered) => {
                    fragment.file_facts = facts;
                    Parsed::Lowered(Box::new(fragment))
                }
                // An unrendered template that is not even YAML.
                Err(_) if has_template_syntax(&file.text) => Parsed::Skipped(format!(
                    "{}: a Helm/Go template (`{{{{`), not plain YAML; skipped (lint the rendered output: `helm template … | shutdownlint -`)",
                    file.path
                )),
                Err(failure) => Parsed::Failed(failure),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::in_templates_folder;

    #[test]
    fn templates_folder_is_a_folder_of_the_path() {
        assert!(in_templates_folder("charts/shop/templates/deployment.yaml"));
        assert!(in_templates_folder("roles/web/Templates/sub/pod.yaml"));
        assert!(in_templates_folder("a\\templates\\pod.yaml"));
        assert!(!in_templates_folder("k8s/deployment.yaml"));
        assert!(!in_templates_folder("templates.yaml"));
        assert!(!in_templates_folder("k8s/templates"));
    }
}
