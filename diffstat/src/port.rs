//! Port mode: a port is its own directories plus its hooks in shared code.
//!
//! The hooks are what break on every rebase, so they are reported first:
//! the shared files a port touches (named hook directories, files that test
//! the port's `CONFIG_` symbol, and in a port-vs-upstream diff every changed
//! shared file), their changed lines, and the hunks that sit in or open a
//! conditional on the port's symbol (`#ifdef CONFIG_XEN`, `ifdef CONFIG_UML`,
//! `if XEN`).

use crate::classify::{classify_lines, lang_of, ClassCounts, Lang};
use crate::compare::Comparison;
use crate::lines::{split_lines, Hunk};
use crate::output::Totals;
use crate::source::{Kind, Tree};
use anyhow::{bail, Result};
use rayon::prelude::*;
use serde::Serialize;

/// What belongs to a port.
#[derive(Debug, Clone, Serialize)]
pub struct PortSpec {
    pub name: String,
    /// Path prefixes of the port's own code.
    pub own: Vec<String>,
    /// Shared paths that are the port's hooks by definition.
    pub hooks: Vec<String>,
    /// Configuration symbols without the `CONFIG_` prefix.
    pub symbols: Vec<String>,
}

impl PortSpec {
    /// A named set (`um`, `xen`, `x86`, `l4`) or a path such as `arch/l4`
    /// (symbol: the last component, upper-cased).
    pub fn parse(arg: &str) -> Result<PortSpec> {
        let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
        let spec = match arg {
            "um" => PortSpec {
                name: "um".into(),
                own: s(&["arch/um"]),
                hooks: vec![],
                symbols: s(&["UML"]),
            },
            "xen" => PortSpec {
                name: "xen".into(),
                own: s(&["arch/x86/xen"]),
                hooks: s(&["drivers/xen", "include/xen"]),
                symbols: s(&["XEN"]),
            },
            "x86" => PortSpec {
                name: "x86".into(),
                own: s(&["arch/x86"]),
                hooks: vec![],
                symbols: s(&["X86"]),
            },
            "l4" => PortSpec {
                name: "l4".into(),
                own: s(&["arch/l4"]),
                hooks: vec![],
                symbols: s(&["L4"]),
            },
            path => {
                let path = path.trim_end_matches('/');
                let last = path.rsplit('/').next().unwrap_or("");
                if path.is_empty()
                    || last.is_empty()
                    || !last
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
                {
                    bail!("--port {arg}: expected a named set (um, xen, x86, l4) or a path like arch/l4");
                }
                PortSpec {
                    name: path.to_string(),
                    own: vec![path.to_string()],
                    hooks: vec![],
                    symbols: vec![last.to_ascii_uppercase().replace('-', "_")],
                }
            }
        };
        Ok(spec)
    }

    /// True for the port's own files.
    pub fn owns(&self, path: &[u8]) -> bool {
        under_any(&self.own, path)
    }

    /// True for files under a named hook path.
    pub fn named_hook(&self, path: &[u8]) -> bool {
        under_any(&self.hooks, path)
    }
}

/// True when `path` is `prefix` or lies below it.
pub fn is_under(prefix: &[u8], path: &[u8]) -> bool {
    path.starts_with(prefix) && (path.len() == prefix.len() || path[prefix.len()] == b'/')
}

fn under_any(prefixes: &[String], path: &[u8]) -> bool {
    prefixes.iter().any(|p| is_under(p.as_bytes(), path))
}

/// True when `line` names `sym` as a config symbol (`CONFIG_SYM`, or the
/// bare word in Kconfig files).
fn mentions(line: &[u8], sym: &str, lang: Lang) -> bool {
    let word = |pat: &[u8]| {
        memchr::memmem::find_iter(line, pat).any(|at| {
            let before = at.checked_sub(1).map(|i| line[i]);
            let after = line.get(at + pat.len()).copied();
            let ident = |c: Option<u8>| c.is_some_and(|c| c.is_ascii_alphanumeric() || c == b'_');
            !ident(after) && (pat.starts_with(b"CONFIG_") || !ident(before))
        })
    };
    let full = format!("CONFIG_{sym}");
    word(full.as_bytes()) || (lang == Lang::Kconfig && word(sym.as_bytes()))
}

/// Per line: inside, or opening, a conditional on `sym`.
pub fn conditional_lines(lines: &[&[u8]], sym: &str, lang: Lang) -> Vec<bool> {
    let mut stack: Vec<bool> = Vec::new();
    let mut out = Vec::with_capacity(lines.len());
    for l in lines {
        let t = l.trim_ascii_start();
        let directive = |kw: &[&[u8]]| -> bool {
            let body = match lang {
                Lang::C | Lang::Asm | Lang::Dts | Lang::Rust => {
                    if t.first() != Some(&b'#') {
                        return false;
                    }
                    t[1..].trim_ascii_start()
                }
                _ => t,
            };
            kw.iter().any(|k| {
                body.starts_with(k)
                    && body
                        .get(k.len())
                        .is_none_or(|c| !c.is_ascii_alphanumeric() && *c != b'_')
            })
        };
        let hit = mentions(l, sym, lang);
        let opens: &[&[u8]] = match lang {
            Lang::Makefile => &[b"ifdef", b"ifndef", b"ifeq", b"ifneq"],
            Lang::Kconfig => &[b"if"],
            _ => &[b"if", b"ifdef", b"ifndef"],
        };
        if directive(opens) {
            stack.push(hit);
            out.push(stack.iter().any(|&b| b));
        } else if directive(&[b"endif"]) {
            out.push(stack.iter().any(|&b| b) || hit);
            stack.pop();
        } else {
            out.push(hit || stack.iter().any(|&b| b));
        }
    }
    out
}

/// Changed hunks (and their lines) that touch a conditional on a symbol.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct ConfigHits {
    pub hunks: u64,
    pub added: u64,
    pub removed: u64,
}

/// The changed hunks that touch a conditional on one of `syms`, or None
/// when neither version mentions any of them. `la` and `lb` are the two
/// versions split into lines and `hunks` the diff's changed regions, as the
/// caller already has them.
pub fn config_hits(
    lang: Lang,
    (a, b): (&[u8], &[u8]),
    (la, lb): (&[&[u8]], &[&[u8]]),
    hunks: &[Hunk],
    syms: &[String],
) -> Option<ConfigHits> {
    // A line can only mention the symbol if the file holds its text: skip
    // the per-line scan for the many files that do not.
    let flags: Vec<(Vec<bool>, Vec<bool>)> = syms
        .iter()
        .filter(|s| {
            let needle = if lang == Lang::Kconfig {
                s.to_string()
            } else {
                format!("CONFIG_{s}")
            };
            let has = |d: &[u8]| memchr::memmem::find(d, needle.as_bytes()).is_some();
            has(a) || has(b)
        })
        .map(|s| {
            (
                conditional_lines(la, s, lang),
                conditional_lines(lb, s, lang),
            )
        })
        // Every line that mentions the symbol is flagged, so a file with no
        // flag mentions none.
        .filter(|(fa, fb)| fa.iter().chain(fb).any(|&f| f))
        .collect();
    if flags.is_empty() {
        return None;
    }
    let mut hits = ConfigHits::default();
    for (ro, rn) in hunks {
        if flags
            .iter()
            .any(|(fa, fb)| fa[ro.clone()].contains(&true) || fb[rn.clone()].contains(&true))
        {
            hits.hunks += 1;
            hits.removed += ro.len() as u64;
            hits.added += rn.len() as u64;
        }
    }
    Some(hits)
}

/// Size of a port in one tree: files, lines by class, bytes.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Size {
    pub files: u64,
    pub lines: ClassCounts,
    pub bytes: u64,
}

/// Measures the hand-written text files under `prefixes` in `tree`
/// (binary and generated files are left out, as they are from churn).
pub fn measure(tree: &Tree, prefixes: &[String]) -> Result<Size> {
    let entries = tree.entries()?;
    let picked: Vec<_> = entries
        .iter()
        .filter(|e| matches!(e.kind, Kind::File { .. }) && under_any(prefixes, &e.path))
        .collect();
    let parts: Vec<Result<Size>> = picked
        .par_iter()
        .map_init(
            || tree.thread_repo(),
            |repo, e| {
                let data = tree.read(e, repo.as_ref())?;
                // Like churn, size counts hand-written text only.
                if crate::compare::is_binary(&data)
                    || crate::classify::generated_reason(&e.path, &data).is_some()
                {
                    return Ok(Size::default());
                }
                let mut s = Size {
                    files: 1,
                    bytes: data.len() as u64,
                    ..Size::default()
                };
                for c in classify_lines(lang_of(&e.path), &split_lines(&data)) {
                    s.lines.add(c);
                }
                Ok(s)
            },
        )
        .collect();
    let mut total = Size::default();
    for p in parts {
        let p = p?;
        total.files += p.files;
        total.bytes += p.bytes;
        total.lines.merge(&p.lines);
    }
    Ok(total)
}

/// A port's share of one comparison.
#[derive(Debug, Clone, Serialize)]
pub struct PortReport {
    pub spec: PortSpec,
    /// Shared files the port hooks into that changed, hooks first in reports.
    /// Hook files and hook lines: every changed line of named hook paths
    /// (and, against upstream, of every changed shared file); for files that
    /// only test the port's symbol, the lines of the CONFIG hunks.
    pub hooks: Totals,
    pub hook_config_hunks: u64,
    pub hook_files: Vec<HookFile>,
    /// The port's own changed files.
    pub own: Totals,
    /// Own files added in the new version (count, lines, bytes).
    pub own_added: Size,
    /// The port's size in the old and the new version.
    pub old_size: Size,
    pub new_size: Size,
    /// Size of the named hook paths (old version), when the port has any.
    pub hook_paths_size: Option<Size>,
}

/// One changed hook file.
#[derive(Debug, Clone, Serialize)]
pub struct HookFile {
    pub path: String,
    pub why: &'static str,
    /// Hook lines (see [`PortReport::hooks`]).
    pub added: u64,
    pub removed: u64,
    /// All changed lines of the file.
    pub file_added: u64,
    pub file_removed: u64,
    pub config_hunks: u64,
}

/// Splits a comparison into a port's own files and its hooks.
///
/// `all_shared_are_hooks`: the comparison is upstream vs. the ported tree,
/// so every changed shared file is a hook.
pub fn analyze(
    cmp: &Comparison,
    spec: &PortSpec,
    old: &Tree,
    new: &Tree,
    all_shared_are_hooks: bool,
) -> Result<PortReport> {
    let mut own = Totals::default();
    let mut own_added = Size::default();
    let mut hooks = Totals::default();
    let mut hook_files = Vec::new();
    let mut hunks = 0;
    for f in cmp
        .files
        .iter()
        .filter(|f| !f.binary && f.generated.is_none())
    {
        let p = f.path();
        if spec.owns(p) || f.old_path.as_deref().is_some_and(|o| spec.owns(o)) {
            own.add(f);
            if f.old_path.is_none() {
                own_added.files += 1;
                own_added.lines.merge(&f.new_lines);
                own_added.bytes += f.new_bytes;
            }
            continue;
        }
        let hits = f.config.get(&spec.name).copied();
        let why = if spec.named_hook(p) {
            Some(("hook path", (f.added, f.removed)))
        } else if all_shared_are_hooks {
            Some(("changed shared file", (f.added, f.removed)))
        } else {
            hits.map(|h| ("tests CONFIG symbol", (h.added, h.removed)))
        };
        if let Some((why, (added, removed))) = why {
            let h = hits.unwrap_or_default();
            hooks.files += 1;
            hooks.added += added;
            hooks.removed += removed;
            hunks += h.hunks;
            hook_files.push(HookFile {
                path: String::from_utf8_lossy(f.path()).into_owned(),
                why,
                added,
                removed,
                file_added: f.added,
                file_removed: f.removed,
                config_hunks: h.hunks,
            });
        }
    }
    let (old_size, new_size) = rayon::join(|| measure(old, &spec.own), || measure(new, &spec.own));
    let hook_paths_size = if spec.hooks.is_empty() {
        None
    } else {
        Some(measure(old, &spec.hooks)?)
    };
    Ok(PortReport {
        spec: spec.clone(),
        hooks,
        hook_config_hunks: hunks,
        hook_files,
        own,
        own_added,
        old_size: old_size?,
        new_size: new_size?,
        hook_paths_size,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conditionals_on_symbol() {
        let src = b"a\n#ifdef CONFIG_XEN\nb\n#else\nc\n#endif\nd\nif (IS_ENABLED(CONFIG_XEN)) x();\n#if defined(CONFIG_XEN_PV)\ne\n#endif\n";
        let lines = split_lines(src);
        let f = conditional_lines(&lines, "XEN", Lang::C);
        assert_eq!(
            f,
            vec![false, true, true, true, true, true, false, true, false, false, false]
        );
    }

    #[test]
    fn kconfig_and_make() {
        let k = split_lines(b"if XEN\nconfig A\nendif\nconfig XENFOO\n");
        assert_eq!(
            conditional_lines(&k, "XEN", Lang::Kconfig),
            vec![true, true, true, false]
        );
        let m = split_lines(b"obj-$(CONFIG_XEN) += x.o\nobj-y += y.o\n");
        assert_eq!(
            conditional_lines(&m, "XEN", Lang::Makefile),
            vec![true, false]
        );
    }

    #[test]
    fn config_hits_need_a_mention() {
        let a = b"a\n#ifdef CONFIG_XEN\nb\n#endif\nc\n".as_slice();
        let b = b"a\n#ifdef CONFIG_XEN\nB\n#endif\nC\n".as_slice();
        let (la, lb) = (split_lines(a), split_lines(b));
        let hunks = vec![(2..3, 2..3), (4..5, 4..5)];
        let syms = |s: &str| vec![s.to_string()];
        let hits = config_hits(Lang::C, (a, b), (&la, &lb), &hunks, &syms("XEN"));
        assert_eq!(
            hits,
            Some(ConfigHits {
                hunks: 1,
                added: 1,
                removed: 1
            })
        );
        // `XE` is only part of a longer name; UML is not in the text at all.
        assert_eq!(
            config_hits(Lang::C, (a, b), (&la, &lb), &hunks, &syms("XE")),
            None
        );
        assert_eq!(
            config_hits(Lang::C, (a, b), (&la, &lb), &hunks, &syms("UML")),
            None
        );
        // Kconfig names the bare symbol.
        let k = b"if XEN\nconfig A\nendif\n".as_slice();
        let lk = split_lines(k);
        let none: Vec<Hunk> = Vec::new();
        assert_eq!(
            config_hits(Lang::Kconfig, (k, k), (&lk, &lk), &none, &syms("XEN")),
            Some(ConfigHits::default())
        );
    }

    #[test]
    fn parse_specs() {
        assert_eq!(PortSpec::parse("arch/l4").unwrap().symbols, vec!["L4"]);
        assert_eq!(PortSpec::parse("xen").unwrap().hooks.len(), 2);
        assert!(PortSpec::parse("arch/x y").is_err());
        let x = PortSpec::parse("x86").unwrap();
        assert!(x.owns(b"arch/x86/kernel/a.c"));
        assert!(!x.owns(b"arch/x86_64/a.c"));
    }
}
