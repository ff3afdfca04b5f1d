//! What we know about base images: which `/bin/sh` they have, and the command and stop signal
//! that official images set (a Dockerfile `FROM` them inherits both).
//!
//! Sources (checked 2026-11): nginxinc/docker-nginx (`STOPSIGNAL SIGQUIT` since 1.19.5; SIGTERM
//! for 1.13.1–1.19.4), openresty/docker-openresty (SIGQUIT since 2018), docker-library/php
//! (`-fpm` SIGQUIT, `-apache` SIGWINCH), docker-library/httpd (SIGWINCH), docker-library/postgres
//! (SIGINT). Debian and Ubuntu `/bin/sh` is dash (Debian patches out dash's `-c` exec), Alpine and
//! busybox `/bin/sh` is busybox ash, RHEL-family and Amazon Linux `/bin/sh` is bash.

use crate::model::{ShellEnv, ShellFamily, Signal};

/// An image reference split into its parts (`registry/repo/name:tag@digest`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageName {
    /// The repository without registry and without `library/` (`nginx`, `bitnami/nginx`).
    pub repository: String,
    /// The last path component (`nginx`).
    pub name: String,
    pub tag: String,
}

impl ImageName {
    pub fn parse(reference: &str) -> Option<ImageName> {
        let reference = reference.trim();
        if reference.is_empty() || reference.contains('$') {
            return None;
        }
        let without_digest = reference.split('@').next().unwrap_or(reference);
        // A tag follows the last ':' after the last '/' (a registry port comes before a '/').
        let (path, tag) = match without_digest.rsplit_once(':') {
            Some((path, tag)) if !tag.contains('/') => (path, tag),
            _ => (without_digest, "latest"),
        };
        let mut parts: Vec<&str> = path.split('/').collect();
        if parts.len() > 1
            && (parts[0].contains('.') || parts[0].contains(':') || parts[0] == "localhost")
        {
            parts.remove(0);
        }
        if parts.len() > 1 && parts[0] == "library" {
            parts.remove(0);
        }
        let repository = parts.join("/").to_ascii_lowercase();
        let name = parts.last().map(|n| n.to_ascii_lowercase())?;
        Some(ImageName {
            repository,
            name,
            tag: tag.to_ascii_lowercase(),
        })
    }

    fn version(&self) -> Option<(u32, u32, u32)> {
        let numeric: String = self
            .tag
            .chars()
            .take_while(|c| c.is_ascii_digit() || *c == '.')
            .collect();
        let mut parts = numeric.split('.').filter(|p| !p.is_empty());
        let major = parts.next()?.parse().ok()?;
        let minor = parts.next().and_then(|p| p.parse().ok()).unwrap_or(0);
        let patch = parts.next().and_then(|p| p.parse().ok()).unwrap_or(0);
        Some((major, minor, patch))
    }
}

const RHEL_FAMILY: &[&str] = &[
    "centos",
    "rockylinux",
    "almalinux",
    "fedora",
    "ubi",
    "ubi8",
    "ubi9",
    "ubi10",
    "ubi-minimal",
    "ubi8-minimal",
    "ubi9-minimal",
    "amazonlinux",
    "oraclelinux",
    "rhel",
    "photon",
];

/// Official images known to be Debian or Ubuntu based (unless their tag says alpine).
const DEBIAN_FAMILY: &[&str] = &[
    "debian",
    "ubuntu",
    "node",
    "python",
    "ruby",
    "php",
    "golang",
    "openjdk",
    "eclipse-temurin",
    "amazoncorretto",
    "nginx",
    "httpd",
    "postgres",
    "redis",
    "mysql",
    "mariadb",
    "mongo",
    "rabbitmq",
    "memcached",
    "elixir",
    "erlang",
    "perl",
    "rust",
    "gcc",
    "buildpack-deps",
    "wordpress",
    "ghost",
    "haproxy",
    "traefik",
    "caddy",
    "maven",
    "gradle",
    "tomcat",
    "jetty",
    "pypy",
    "julia",
    "swift",
    "haskell",
    "clojure",
    "r-base",
    "dart",
    "bitnami",
    "openresty",
    "nginx-unprivileged",
    "gunicorn",
    "uvicorn-gunicorn",
    "tiangolo",
];

/// What `/bin/sh` is in an image.
pub fn shell_of(image: Option<&ImageName>, written: &str) -> ShellEnv {
    // The reason is kept by every process that runs the image: a `FROM` of 60 KB (the most a
    // Dockerfile line takes) built by 40,000 compose services was 2.4 GB of reasons.
    let written = crate::diagnostic::clip(written);
    let Some(image) = image else {
        return ShellEnv {
            family: ShellFamily::Dash,
            reason: if written.is_empty() {
                "assumed dash: the base image is not known".into()
            } else {
                format!("assumed dash: base image `{written}` is not known")
            },
            assumed: true,
            location: None,
            old_bash: false,
        };
    };
    let old_bash = bash_before_5_1(image);
    let described = |family: ShellFamily, why: &str| ShellEnv {
        family,
        reason: format!("`{written}` {why}"),
        assumed: false,
        location: None,
        old_bash,
    };
    let name = image.name.as_str();
    let repository = image.repository.as_str();
    if name == "scratch"
        || repository.contains("distroless")
        || repository.starts_with("chainguard/static")
    {
        return described(ShellFamily::None, "has no shell");
    }
    if repository.contains("windows")
        || repository.contains("nanoserver")
        || repository.contains("servercore")
    {
        return described(ShellFamily::NotPosix, "is a Windows image");
    }
    if name == "alpine"
        || name == "busybox"
        || image.tag.contains("alpine")
        || name.contains("alpine")
    {
        return described(
            ShellFamily::Busybox,
            "is Alpine-based: /bin/sh is busybox ash",
        );
    }
    if name == "wolfi-base" {
        return described(
            ShellFamily::Busybox,
            "is Wolfi-based: /bin/sh is busybox ash",
        );
    }
    // Red Hat's UBI images are named by their family first (`ubi9/python-311`,
    // `ubi8/nodejs-20-minimal`), as are CentOS, Fedora and other RHEL rebuilds' images.
    let first = repository.split('/').next().unwrap_or("");
    let ubi = |part: &str| {
        part.strip_prefix("ubi").is_some_and(|rest| {
            let rest = rest.strip_suffix("-minimal").unwrap_or(rest);
            rest.chars().all(|c| c.is_ascii_digit())
        })
    };
    if RHEL_FAMILY.contains(&name)
        || RHEL_FAMILY.contains(&first)
        || ubi(first)
        || image.tag.contains("ubi")
        || repository.starts_with("redhat/")
        || first.starts_with("rhel")
    {
        if old_bash {
            return described(
                ShellFamily::OldBash,
                "is RHEL-family of a release before RHEL 9 (or Amazon Linux 2): /bin/sh is bash 4",
            );
        }
        return described(ShellFamily::Bash, "is RHEL-family: /bin/sh is bash");
    }
    const BASH_FAMILY: &[&str] = &[
        "azurelinux",
        "cbl-mariner",
        "opensuse",
        "archlinux",
        "suse",
        "bci",
    ];
    if BASH_FAMILY.contains(&name)
        || BASH_FAMILY.contains(&first)
        || repository.contains("azurelinux/")
        || repository.contains("cbl-mariner/")
    {
        if old_bash {
            return described(
                ShellFamily::OldBash,
                "is openSUSE Leap / SLE 15 based: /bin/sh is bash 4.4",
            );
        }
        return described(
            ShellFamily::Bash,
            "is Azure Linux, openSUSE or Arch based: /bin/sh is bash",
        );
    }
    const DEBIAN_TAGS: &[&str] = &[
        "ubuntu", "debian", "bookworm", "bullseye", "buster", "trixie", "jammy", "noble", "focal",
        "bionic", "slim",
    ];
    if DEBIAN_FAMILY.contains(&name)
        || DEBIAN_FAMILY.contains(&repository)
        || repository.starts_with("bitnami/")
        || repository.starts_with("heroku/")
        || DEBIAN_TAGS.iter().any(|t| image.tag.contains(t))
    {
        return described(ShellFamily::Dash, "is Debian-based: /bin/sh is dash");
    }
    ShellEnv {
        family: ShellFamily::Dash,
        reason: format!(
            "assumed dash: `{written}` is not a known image (most images are Debian-based)"
        ),
        assumed: true,
        location: None,
        old_bash: false,
    }
}

/// Whether the image's name or tag names a release whose bash is older than 5.1 (bash 5.1
/// added the exec of the last command of a `-c` list). Releases (their bash): RHEL/UBI 8 and
/// its rebuilds Rocky, Alma, Oracle Linux, CentOS 8 / Stream 8 (4.4); CentOS 7, RHEL/UBI 7,
/// Oracle Linux 7 and Amazon Linux 2 (4.2); openSUSE Leap 15 and SLE 15 (4.4); Debian buster
/// (5.0) and stretch (4.4); Ubuntu 20.04 (5.0), 18.04 (4.4), 16.04 (4.3). RHEL 9 and its
/// rebuilds have 5.1, Debian bullseye 5.1, Ubuntu 22.04 5.1, Amazon Linux 2023, Fedora, Azure
/// Linux, Tumbleweed and Arch later ones. A name or tag that says no release (`latest`,
/// `bci/python:3.11`) is taken as a current release: false.
fn bash_before_5_1(image: &ImageName) -> bool {
    let tag = image.tag.as_str();
    let name = image.name.as_str();
    let first = image.repository.split('/').next().unwrap_or("");
    let major = || image.version().map(|(major, _, _)| major);
    // Words of the tag: `3.9-slim-buster`, `17-jdk-ubi8-minimal`, `11.0-runtime-ubuntu20.04`.
    const OLD_TAG_WORDS: &[&str] = &[
        "ubi7",
        "ubi8",
        "centos7",
        "centos8",
        "stream8",
        "buster",
        "stretch",
        "jessie",
        "bionic",
        "focal",
        "xenial",
        "trusty",
        "ubuntu16.04",
        "ubuntu18.04",
        "ubuntu20.04",
        "ubuntu20.10",
        "amazonlinux2",
        "al2",
    ];
    if tag
        .split(['-', '_'])
        .any(|word| OLD_TAG_WORDS.contains(&word))
    {
        return true;
    }
    // UBI and RHEL images named by their release: `ubi8/python-39`, `ubi8-minimal`,
    // `rhel8/nodejs-16`, `redhat/ubi8`.
    let old_rhel_name = |part: &str| {
        ["ubi", "rhel"].iter().any(|prefix| {
            part.strip_prefix(prefix).is_some_and(|rest| {
                let rest = rest.strip_suffix("-minimal").unwrap_or(rest);
                let rest = rest.strip_suffix("-micro").unwrap_or(rest);
                let rest = rest.strip_suffix("-init").unwrap_or(rest);
                matches!(rest, "5" | "6" | "7" | "8")
            })
        })
    };
    if old_rhel_name(first) || old_rhel_name(name) {
        return true;
    }
    match name {
        // `centos:7`, `centos:centos7` (said above), `quay.io/centos/centos:stream8`.
        "centos" | "rockylinux" | "almalinux" | "oraclelinux" | "ubi" | "rhel" => {
            let numeric = tag.strip_prefix("centos").unwrap_or(tag);
            let numeric = numeric.strip_prefix("stream").unwrap_or(numeric);
            let numeric: String = numeric.chars().take_while(char::is_ascii_digit).collect();
            numeric.parse::<u32>().is_ok_and(|major| major <= 8)
        }
        // `amazonlinux:2`, `amazonlinux:2.0.20240109.0`; 2023 is bash 5.2.
        "amazonlinux" => major() == Some(2),
        // `opensuse/leap:15.6`, `bci/bci-base:15.6`, `suse/sle15`, `suse/sles12sp5`.
        "leap" | "bci-base" | "bci-minimal" | "bci-micro" | "bci-init" => {
            major().is_some_and(|major| major <= 15)
        }
        _ if name.starts_with("sle15")
            || name.starts_with("sles12")
            || name.starts_with("sle12") =>
        {
            true
        }
        // `ubuntu:20.04`, `ubuntu:18.04` (21.04 has bash 5.1).
        "ubuntu" => image
            .version()
            .is_some_and(|(major, minor, _)| (major, minor) < (21, 4) && major >= 10),
        // `debian:10`, `debian:10-slim`, `debian:buster` (said above).
        "debian" => major().is_some_and(|major| (7..=10).contains(&major)),
        _ => false,
    }
}

/// What an image sets that a Dockerfile `FROM` it inherits.
#[derive(Debug, Clone, PartialEq)]
pub struct ImageDefaults {
    /// The image's CMD (its ENTRYPOINT, when any, execs it).
    pub command: Option<&'static [&'static str]>,
    pub stop_signal: Option<Signal>,
}

pub fn defaults_of(image: &ImageName) -> ImageDefaults {
    let name = image.name.as_str();
    let repository = image.repository.as_str();
    let nginx = matches!(
        repository,
        "nginx" | "nginxinc/nginx-unprivileged" | "bitnami/nginx"
    ) || name == "nginx-unprivileged";
    if nginx {
        // The official image sent SIGTERM from 1.13.1 until 1.19.5 switched to SIGQUIT;
        // bitnami/nginx is treated as current (no way to tell its build date from a tag).
        let old = repository != "bitnami/nginx"
            && image
                .version()
                .is_some_and(|(major, minor, _)| major == 1 && (10..18).contains(&minor));
        return ImageDefaults {
            command: Some(&["nginx", "-g", "daemon off;"]),
            stop_signal: Some(if old { Signal::Term } else { Signal::Quit }),
        };
    }
    if repository == "openresty/openresty" {
        return ImageDefaults {
            command: Some(&["openresty", "-g", "daemon off;"]),
            stop_signal: Some(Signal::Quit),
        };
    }
    if name == "php" && image.tag.contains("fpm") {
        return ImageDefaults {
            command: Some(&["php-fpm"]),
            stop_signal: Some(Signal::Quit),
        };
    }
    if name == "php" && image.tag.contains("apache") {
        return ImageDefaults {
            command: Some(&["apache2-foreground"]),
            stop_signal: Some(Signal::Winch),
        };
    }
    if name == "httpd" && repository == "httpd" {
        return ImageDefaults {
            command: Some(&["httpd-foreground"]),
            stop_signal: Some(Signal::Winch),
        };
    }
    if repository == "postgres" {
        return ImageDefaults {
            command: Some(&["postgres"]),
            stop_signal: Some(Signal::Int),
        };
    }
    ImageDefaults {
        command: None,
        stop_signal: None,
    }
}

/// The STOPSIGNAL a known image sets, as a fact at the place that names the image.
pub fn stop_signal_of(
    image: &crate::model::Fact<String>,
    name: &ImageName,
) -> Option<crate::model::Fact<Signal>> {
    Some(crate::model::Fact {
        value: defaults_of(name).stop_signal?,
        location: image.location,
        note: Some(format!("set by the image `{}`", image.value)),
    })
}

/// The command a known image runs when nothing overrides it, as words mapped onto the place
/// that names the image (`image: nginx:1.17`).
pub fn default_command(
    image: &ImageName,
    file: crate::source::FileId,
    at: crate::span::Span,
    written: &str,
) -> Option<crate::model::Command> {
    let words = defaults_of(image).command?;
    let mut command = crate::model::Command::default();
    command.sources.push(crate::model::CommandSource {
        what: "image command",
        form: crate::model::Form::Exec,
        location: crate::diagnostic::Location::new(file, at),
        inherited_from: Some(written.to_string()),
    });
    for word in words {
        let mut b = crate::span::MappedText::builder();
        for c in word.chars() {
            b.push_char(c, at);
        }
        command.words.push(crate::model::CommandWord {
            text: b.finish(),
            file,
            source: 0,
            synthesized: true,
        });
    }
    Some(command)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_image_references() {
        let i = ImageName::parse("docker.io/library/nginx:1.25-alpine").unwrap();
        assert_eq!(
            (i.repository.as_str(), i.tag.as_str()),
            ("nginx", "1.25-alpine")
        );
        let i = ImageName::parse("localhost:5000/team/api@sha256:abc").unwrap();
        assert_eq!(
            (i.repository.as_str(), i.name.as_str(), i.tag.as_str()),
            ("team/api", "api", "latest")
        );
        assert!(ImageName::parse("${BASE}").is_none());
    }

    #[test]
    fn shells_by_family() {
        let shell = |r: &str| shell_of(ImageName::parse(r).as_ref(), r).family;
        assert_eq!(shell("node:22-slim"), ShellFamily::Dash);
        assert_eq!(shell("node:22-alpine"), ShellFamily::Busybox);
        assert_eq!(
            shell("registry.access.redhat.com/ubi9/ubi-minimal"),
            ShellFamily::Bash
        );
        assert_eq!(shell("gcr.io/distroless/nodejs22"), ShellFamily::None);
        for bash in [
            "registry.access.redhat.com/ubi9/python-311",
            "registry.redhat.io/ubi9/nodejs-20-minimal:1-63",
            "registry.access.redhat.com/ubi9-minimal/ubi-minimal",
            "quay.io/centos/centos:stream9",
            "mcr.microsoft.com/azurelinux/base/core:3.0",
            "mcr.microsoft.com/cbl-mariner/base/core:2.0",
            "registry.suse.com/bci/python:3.11",
            "archlinux:latest",
        ] {
            assert_eq!(shell(bash), ShellFamily::Bash, "{bash}");
        }
        // bash 4 (see `bash_before_5_1_by_release`).
        for bash in [
            "registry.access.redhat.com/ubi8/nodejs-20",
            "opensuse/leap:15.6",
        ] {
            assert_eq!(shell(bash), ShellFamily::OldBash, "{bash}");
        }
        assert_eq!(shell("cgr.dev/chainguard/wolfi-base"), ShellFamily::Busybox);
        assert!(shell_of(ImageName::parse("ubiquity/app").as_ref(), "ubiquity/app").assumed);
        assert!(shell_of(ImageName::parse("acme/app").as_ref(), "acme/app").assumed);
        assert_eq!(
            shell("nvidia/cuda:12.9.1-runtime-ubuntu22.04"),
            ShellFamily::Dash
        );
        assert!(
            !shell_of(
                ImageName::parse("heroku/heroku:24").as_ref(),
                "heroku/heroku:24"
            )
            .assumed
        );
    }

    #[test]
    fn bash_before_5_1_by_release() {
        let env = |r: &str| shell_of(ImageName::parse(r).as_ref(), r);
        for old in [
            "registry.access.redhat.com/ubi8/python-39",
            "registry.access.redhat.com/ubi8/nodejs-20-minimal:1-60",
            "registry.access.redhat.com/ubi8",
            "registry.access.redhat.com/ubi8-minimal:8.10",
            "registry.access.redhat.com/ubi8/ubi:8.9",
            "redhat/ubi8",
            "registry.redhat.io/rhel8/python-39",
            "registry.access.redhat.com/ubi7/ubi",
            "rockylinux:8",
            "rockylinux/rockylinux:8.9",
            "almalinux:8.10-minimal",
            "oraclelinux:7-slim",
            "oraclelinux:8",
            "centos:7",
            "centos:centos7",
            "quay.io/centos/centos:stream8",
            "amazonlinux:2",
            "public.ecr.aws/amazonlinux/amazonlinux:2.0.20240109.0",
            "opensuse/leap:15.6",
            "opensuse/leap:15",
            "registry.suse.com/bci/bci-base:15.6",
            "registry.suse.com/suse/sle15:15.5",
        ] {
            let env = env(old);
            assert_eq!(env.family, ShellFamily::OldBash, "{old}");
            assert!(env.old_bash, "{old}");
        }
        for modern in [
            "registry.access.redhat.com/ubi9/python-311",
            "registry.access.redhat.com/ubi9-minimal",
            "redhat/ubi9",
            "rockylinux:9",
            "almalinux:9",
            "oraclelinux:9-slim",
            "centos",
            "quay.io/centos/centos:stream9",
            "fedora:40",
            "amazonlinux:2023",
            "amazonlinux",
            "opensuse/tumbleweed",
            "opensuse/leap",
            // A BCI language image's tag is the language's version, not SLE's.
            "registry.suse.com/bci/python:3.11",
            "mcr.microsoft.com/azurelinux/base/core:3.0",
            "mcr.microsoft.com/cbl-mariner/base/core:2.0",
            "archlinux",
        ] {
            let env = env(modern);
            assert_eq!(env.family, ShellFamily::Bash, "{modern}");
            assert!(!env.old_bash, "{modern}");
        }
        // Debian and Ubuntu: /bin/sh stays dash; a bash that a command or SHELL runs is old.
        for old in [
            "ubuntu:20.04",
            "ubuntu:18.04",
            "ubuntu:focal-20240123",
            "ubuntu:bionic",
            "debian:buster",
            "debian:10-slim",
            "python:3.9-slim-buster",
            "node:16-buster",
            "nvidia/cuda:11.8.0-runtime-ubuntu20.04",
        ] {
            let env = env(old);
            assert_eq!(env.family, ShellFamily::Dash, "{old}");
            assert!(env.old_bash, "{old}");
        }
        for modern in [
            "ubuntu:22.04",
            "ubuntu:24.04",
            "ubuntu",
            "debian:bookworm",
            "debian:11",
            "python:3.12-slim",
            "node:20-bullseye",
            "nvidia/cuda:12.9.1-runtime-ubuntu22.04",
            "acme/app:8",
        ] {
            assert!(!env(modern).old_bash, "{modern}");
        }
    }

    #[test]
    fn nginx_stop_signal_by_version() {
        let signal = |r: &str| defaults_of(&ImageName::parse(r).unwrap()).stop_signal;
        assert_eq!(signal("nginx"), Some(Signal::Quit));
        assert_eq!(signal("nginx:1.25.3-alpine"), Some(Signal::Quit));
        assert_eq!(signal("nginx:1.17"), Some(Signal::Term));
        assert_eq!(signal("nginx:mainline"), Some(Signal::Quit));
    }
}
