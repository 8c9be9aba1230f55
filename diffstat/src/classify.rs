//! What a file and each of its lines is: language, code / comment / blank,
//! generated or not, and which architecture (if any) it belongs to.
//!
//! The line classifier is a small lexer per language family; it tracks
//! block comments and string literals across lines, so a `/*` inside a
//! string does not start a comment. It never fails: unknown files are
//! "other", and every non-blank line of them counts as code.

use serde::Serialize;

/// Language family of a file, chosen by its name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, PartialOrd, Ord)]
#[serde(rename_all = "lowercase")]
pub enum Lang {
    C,
    Asm,
    Rust,
    Kconfig,
    Makefile,
    Dts,
    Other,
}

impl Lang {
    pub fn name(self) -> &'static str {
        match self {
            Lang::C => "c",
            Lang::Asm => "asm",
            Lang::Rust => "rust",
            Lang::Kconfig => "kconfig",
            Lang::Makefile => "makefile",
            Lang::Dts => "dts",
            Lang::Other => "other",
        }
    }
}

/// Picks the language from the file name (last path component).
pub fn lang_of(path: &[u8]) -> Lang {
    let name = path.rsplit(|&c| c == b'/').next().unwrap_or(path);
    let ext = name
        .iter()
        .rposition(|&c| c == b'.')
        .map(|p| &name[p + 1..])
        .unwrap_or(b"");
    match ext {
        b"c" | b"h" | b"cc" | b"cpp" | b"lds" => return Lang::C,
        b"S" | b"s" | b"asm" => return Lang::Asm,
        b"rs" => return Lang::Rust,
        b"dts" | b"dtsi" | b"dtso" => return Lang::Dts,
        b"mk" | b"mak" => return Lang::Makefile,
        _ => {}
    }
    if name.starts_with(b"Kconfig") {
        Lang::Kconfig
    } else if name.starts_with(b"Makefile") || name.starts_with(b"Kbuild") || name == b"GNUmakefile"
    {
        Lang::Makefile
    } else {
        Lang::Other
    }
}

/// The class of one line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LineClass {
    Code,
    Comment,
    Blank,
}

/// Counts of lines by class.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct ClassCounts {
    pub code: u64,
    pub comment: u64,
    pub blank: u64,
}

impl ClassCounts {
    pub fn add(&mut self, c: LineClass) {
        match c {
            LineClass::Code => self.code += 1,
            LineClass::Comment => self.comment += 1,
            LineClass::Blank => self.blank += 1,
        }
    }
    pub fn merge(&mut self, o: &ClassCounts) {
        self.code += o.code;
        self.comment += o.comment;
        self.blank += o.blank;
    }
    pub fn total(&self) -> u64 {
        self.code + self.comment + self.blank
    }
}

/// Classifies every line (as split by [`crate::lines::split_lines`]).
pub fn classify_lines(lang: Lang, lines: &[&[u8]]) -> Vec<LineClass> {
    match lang {
        Lang::C | Lang::Dts => c_like(lines, false, false),
        Lang::Asm => c_like(lines, false, true),
        Lang::Rust => c_like(lines, true, false),
        Lang::Kconfig | Lang::Makefile => hash_comments(lines),
        Lang::Other => lines
            .iter()
            .map(|l| {
                if is_blank(l) {
                    LineClass::Blank
                } else {
                    LineClass::Code
                }
            })
            .collect(),
    }
}

fn is_blank(l: &[u8]) -> bool {
    l.iter().all(|c| c.is_ascii_whitespace())
}

fn hash_comments(lines: &[&[u8]]) -> Vec<LineClass> {
    lines
        .iter()
        .map(|l| {
            let t = l.trim_ascii_start();
            if t.is_empty() {
                LineClass::Blank
            } else if t[0] == b'#' {
                LineClass::Comment
            } else {
                LineClass::Code
            }
        })
        .collect()
}

/// C, device tree, assembly (C preprocessor comments, plus `# ` comment
/// lines) and Rust (nested block comments).
fn c_like(lines: &[&[u8]], nested: bool, asm: bool) -> Vec<LineClass> {
    let mut depth = 0u32; // block comment nesting
    let mut out = Vec::with_capacity(lines.len());
    for l in lines {
        if depth == 0 && is_blank(l) {
            out.push(LineClass::Blank);
            continue;
        }
        if asm && depth == 0 {
            let t = l.trim_ascii_start();
            // `# 1 "file"` markers and `# comment` lines; `#include` etc. are code.
            if t.first() == Some(&b'#') && t.get(1).is_some_and(|c| c.is_ascii_whitespace()) {
                out.push(LineClass::Comment);
                continue;
            }
        }
        let (mut code, mut comment) = (false, false);
        let mut i = 0;
        let mut in_str: Option<u8> = None;
        while i < l.len() {
            let c = l[i];
            let next = l.get(i + 1).copied();
            if depth > 0 {
                comment |= !c.is_ascii_whitespace();
                if c == b'*' && next == Some(b'/') {
                    depth -= 1;
                    i += 2;
                    continue;
                }
                if nested && c == b'/' && next == Some(b'*') {
                    depth += 1;
                    i += 2;
                    continue;
                }
                i += 1;
                continue;
            }
            if let Some(q) = in_str {
                if c == b'\\' {
                    i += 2;
                    continue;
                }
                if c == q {
                    in_str = None;
                }
                i += 1;
                continue;
            }
            match (c, next) {
                (b'/', Some(b'/')) => {
                    comment = true;
                    break;
                }
                (b'/', Some(b'*')) => {
                    comment = true;
                    depth += 1;
                    i += 2;
                    continue;
                }
                // Rust lifetimes look like an unclosed char literal: only C quotes chars.
                (b'\'', _) if !nested => in_str = Some(b'\''),
                (b'"', _) => in_str = Some(b'"'),
                _ => {}
            }
            if !c.is_ascii_whitespace() {
                code = true;
            }
            i += 1;
        }
        out.push(if code {
            LineClass::Code
        } else if comment || depth > 0 {
            LineClass::Comment
        } else {
            LineClass::Blank
        });
    }
    out
}

/// Why a file counts as generated, if it does.
pub fn generated_reason(path: &[u8], content: &[u8]) -> Option<&'static str> {
    let name = path.rsplit(|&c| c == b'/').next().unwrap_or(path);
    if name.ends_with(b"_shipped") {
        return Some("Kbuild *_shipped file");
    }
    if path.windows(11).any(|w| w == b"/generated/") || path.starts_with(b"generated/") {
        return Some("Kbuild generated/ directory");
    }
    if name.ends_with(b".mod.c") {
        return Some("modpost output (*.mod.c)");
    }
    // Markers in the first lines, where generators put them.
    let head_end = memchr::memchr_iter(b'\n', content)
        .nth(9)
        .map_or(content.len(), |p| p + 1)
        .min(4096);
    let lower: Vec<u8> = content[..head_end]
        .iter()
        .map(u8::to_ascii_lowercase)
        .collect();
    let has = |m: &[u8]| memchr::memmem::find(&lower, m).is_some();
    if has(b"do not edit") {
        Some("\"do not edit\" marker")
    } else if has(b"automatically generated") || has(b"autogenerated") || has(b"auto-generated") {
        Some("\"automatically generated\" marker")
    } else if has(b"@generated")
        || has(b"file is generated")
        || has(b"file was generated")
        || has(b"generated file")
    {
        Some("\"generated file\" marker")
    } else {
        None
    }
}

/// Where a path sits in a kernel tree: an architecture's own code or shared.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(tag = "area", content = "arch", rename_all = "lowercase")]
pub enum Area {
    /// `arch/<name>/`, `include/asm-<name>/`, `arch/<name>` Kconfig bits.
    Arch(String),
    /// Everything else.
    Shared,
}

/// Classifies a path as arch-specific or shared.
pub fn area_of(path: &[u8]) -> Area {
    let s = String::from_utf8_lossy(path);
    let mut parts = s.split('/');
    match (parts.next(), parts.next()) {
        (Some("arch"), Some(name)) if !name.is_empty() && parts.next().is_some() => {
            Area::Arch(name.to_string())
        }
        (Some("include"), Some(dir)) if dir.starts_with("asm-") && dir != "asm-generic" => {
            Area::Arch(dir["asm-".len()..].to_string())
        }
        _ => Area::Shared,
    }
}

/// The top directory (or two for `arch/<x>`) a path is grouped under.
pub fn group_dir(path: &[u8]) -> String {
    let s = String::from_utf8_lossy(path);
    let parts: Vec<&str> = s.split('/').collect();
    match parts.as_slice() {
        [only] => (*only).to_string(),
        ["arch", a, _, ..] => format!("arch/{a}"),
        [top, ..] => (*top).to_string(),
        [] => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lines::split_lines;

    fn classes(lang: Lang, src: &str) -> Vec<LineClass> {
        classify_lines(lang, &split_lines(src.as_bytes()))
    }

    #[test]
    fn c_comments_and_strings() {
        use LineClass::*;
        let src = "int a; /* x */\n/* start\n still\n end */ int b;\n\n\"/*\"; // c\n// only\n";
        assert_eq!(
            classes(Lang::C, src),
            vec![Code, Comment, Comment, Code, Blank, Code, Comment]
        );
    }

    #[test]
    fn rust_nested_and_lifetimes() {
        use LineClass::*;
        let src = "/* a /* b */ still */\nfn f<'a>(x: &'a u8) {}\n";
        assert_eq!(classes(Lang::Rust, src), vec![Comment, Code]);
    }

    #[test]
    fn make_and_kconfig() {
        use LineClass::*;
        assert_eq!(
            classes(Lang::Makefile, "# c\nobj-y += a.o\n \n"),
            vec![Comment, Code, Blank]
        );
        assert_eq!(lang_of(b"arch/x86/Kconfig.debug"), Lang::Kconfig);
        assert_eq!(lang_of(b"arch/x86/boot/Makefile"), Lang::Makefile);
        assert_eq!(lang_of(b"arch/arm/boot/dts/a.dtsi"), Lang::Dts);
    }

    #[test]
    fn asm_hash_comments() {
        use LineClass::*;
        assert_eq!(
            classes(
                Lang::Asm,
                "#include <x.h>\n# note\n\tmov %eax, %ebx /* c */\n"
            ),
            vec![Code, Comment, Code]
        );
    }

    #[test]
    fn areas() {
        assert_eq!(area_of(b"arch/x86/kernel/a.c"), Area::Arch("x86".into()));
        assert_eq!(area_of(b"include/asm-generic/a.h"), Area::Shared);
        assert_eq!(area_of(b"kernel/fork.c"), Area::Shared);
        assert_eq!(area_of(b"arch/Kconfig"), Area::Shared);
        assert_eq!(group_dir(b"arch/um/kernel/a.c"), "arch/um");
        assert_eq!(group_dir(b"drivers/xen/a.c"), "drivers");
    }

    #[test]
    fn generated_markers() {
        assert!(generated_reason(b"a.c", b"/* DO NOT EDIT */\n").is_some());
        assert!(generated_reason(b"x/y_shipped", b"").is_some());
        assert!(generated_reason(b"a.c", b"int x;\n").is_none());
    }
}
