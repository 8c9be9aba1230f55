//! Report formats: git-compatible `--numstat`, the aligned table, JSON and CSV.
//!
//! `--numstat` lines are byte for byte what `git diff --no-index --numstat`
//! prints for the same arguments: names joined to the roots as given, git's
//! C-style quoting, and its `pfx{a => b}sfx` rename notation. The JSON
//! schema is documented in `diffstat/SCHEMA.md` and versioned by
//! [`JSON_SCHEMA`].

use crate::classify::{area_of, group_dir, Area, ClassCounts};
use crate::compare::{Comparison, FileStat};
use crate::port::PortReport;
use serde::Serialize;
use std::collections::BTreeMap;
use std::io::{self, Write};

/// Version tag of the JSON output; bump on any incompatible change.
pub const JSON_SCHEMA: &str = "bilby-diffstat/1";

/// git's `quote_c_style` with `core.quotePath` on: returns None when the
/// name needs no quoting.
pub fn quote_c_style(name: &[u8]) -> Option<Vec<u8>> {
    let must = |c: u8| c < 0x20 || c == b'"' || c == b'\\' || c >= 0x7f;
    if !name.iter().any(|&c| must(c)) {
        return None;
    }
    let mut out = vec![b'"'];
    for &c in name {
        if !must(c) {
            out.push(c);
            continue;
        }
        out.push(b'\\');
        match c {
            0x07 => out.push(b'a'),
            0x08 => out.push(b'b'),
            b'\t' => out.push(b't'),
            b'\n' => out.push(b'n'),
            0x0b => out.push(b'v'),
            0x0c => out.push(b'f'),
            b'\r' => out.push(b'r'),
            b'"' => out.push(b'"'),
            b'\\' => out.push(b'\\'),
            _ => {
                out.push(b'0' + ((c >> 6) & 3));
                out.push(b'0' + ((c >> 3) & 7));
                out.push(b'0' + (c & 7));
            }
        }
    }
    out.push(b'"');
    Some(out)
}

/// git's `pprint_rename`: `pfx{a-mid => b-mid}sfx` with common prefix and
/// suffix cut at slashes, or both names quoted in full if either needs it.
pub fn pprint_rename(a: &[u8], b: &[u8]) -> Vec<u8> {
    let (qa, qb) = (quote_c_style(a), quote_c_style(b));
    if qa.is_some() || qb.is_some() {
        let mut out = qa.unwrap_or_else(|| a.to_vec());
        out.extend_from_slice(b" => ");
        out.extend(qb.unwrap_or_else(|| b.to_vec()));
        return out;
    }
    let mut pfx = 0;
    let mut k = 0;
    while k < a.len() && k < b.len() && a[k] == b[k] {
        if a[k] == b'/' {
            pfx = k + 1;
        }
        k += 1;
    }
    // Walk back from the terminating NUL (position len), as git does; with a
    // common prefix the walk may go one byte into it to see its slash.
    let adjust = usize::from(pfx > 0);
    let at = |s: &[u8], i: usize| if i == s.len() { 0 } else { s[i] };
    let mut sfx = 0;
    let (mut i, mut j) = (a.len() as isize, b.len() as isize);
    let floor = pfx as isize - adjust as isize;
    while floor <= i && floor <= j && at(a, i as usize) == at(b, j as usize) {
        if at(a, i as usize) == b'/' {
            sfx = a.len() - i as usize;
        }
        i -= 1;
        j -= 1;
    }
    let amid = (a.len() as isize - pfx as isize - sfx as isize).max(0) as usize;
    let bmid = (b.len() as isize - pfx as isize - sfx as isize).max(0) as usize;
    let mut out = Vec::with_capacity(a.len() + b.len() + 8);
    if pfx + sfx > 0 {
        out.extend_from_slice(&a[..pfx]);
        out.push(b'{');
    }
    out.extend_from_slice(&a[pfx..pfx + amid]);
    out.extend_from_slice(b" => ");
    out.extend_from_slice(&b[pfx..pfx + bmid]);
    if pfx + sfx > 0 {
        out.push(b'}');
        out.extend_from_slice(&a[a.len() - sfx..]);
    }
    out
}

fn full_name(prefix: &[u8], path: Option<&[u8]>) -> Vec<u8> {
    match path {
        Some(p) => {
            let mut v = prefix.to_vec();
            v.extend_from_slice(p);
            v
        }
        None => b"/dev/null".to_vec(),
    }
}

/// The name git's numstat prints for a file.
pub fn numstat_name(cmp: &Comparison, f: &FileStat) -> Vec<u8> {
    if cmp.revisions && f.status != crate::compare::Status::Renamed {
        // `git diff A B` names an added or removed file by its one path.
        let p = f.path().to_vec();
        return quote_c_style(&p).unwrap_or(p);
    }
    let a = full_name(&cmp.old_prefix, f.old_path.as_deref());
    let b = full_name(&cmp.new_prefix, f.new_path.as_deref());
    if a == b {
        quote_c_style(&a).unwrap_or(a)
    } else {
        pprint_rename(&a, &b)
    }
}

/// `--numstat`: `added<TAB>removed<TAB>name`, or `-<TAB>-<TAB>name` for binaries.
pub fn write_numstat(w: &mut dyn Write, cmp: &Comparison) -> io::Result<()> {
    for f in &cmp.files {
        if f.binary {
            w.write_all(b"-\t-\t")?;
        } else {
            write!(w, "{}\t{}\t", f.added, f.removed)?;
        }
        w.write_all(&numstat_name(cmp, f))?;
        w.write_all(b"\n")?;
    }
    Ok(())
}

/// Sums over a set of files.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Totals {
    pub files: u64,
    pub added: u64,
    pub removed: u64,
    pub modified: u64,
    pub whitespace_only: u64,
    pub added_by_class: ClassCounts,
    pub removed_by_class: ClassCounts,
    /// Lines of the new version of these files (none for removed ones).
    pub new_lines: u64,
    pub binary_files: u64,
    pub generated_files: u64,
}

impl Totals {
    pub fn add(&mut self, f: &FileStat) {
        self.files += 1;
        self.added += f.added;
        self.removed += f.removed;
        self.modified += f.modified;
        self.whitespace_only += f.whitespace_only;
        self.added_by_class.merge(&f.added_by_class);
        self.removed_by_class.merge(&f.removed_by_class);
        self.new_lines += f.new_lines.total();
        self.binary_files += u64::from(f.binary);
        self.generated_files += u64::from(f.generated.is_some());
    }
    /// Churned lines: added + removed.
    pub fn churn(&self) -> u64 {
        self.added + self.removed
    }
}

/// Totals of text, hand-written files (binary and generated are kept apart).
pub fn totals(files: &[FileStat]) -> (Totals, Totals, Totals) {
    let (mut text, mut bin, mut generated) =
        (Totals::default(), Totals::default(), Totals::default());
    for f in files {
        if f.binary {
            bin.add(f);
        } else if f.generated.is_some() {
            generated.add(f);
        } else {
            text.add(f);
        }
    }
    (text, bin, generated)
}

/// Totals by area (arch name or shared) and by top directory, text files only.
pub fn by_area(files: &[FileStat]) -> (BTreeMap<String, Totals>, BTreeMap<String, Totals>) {
    let mut areas: BTreeMap<String, Totals> = BTreeMap::new();
    let mut dirs: BTreeMap<String, Totals> = BTreeMap::new();
    for f in files.iter().filter(|f| !f.binary && f.generated.is_none()) {
        let area = match area_of(f.path()) {
            Area::Arch(a) => format!("arch:{a}"),
            Area::Shared => "shared".to_string(),
        };
        areas.entry(area).or_default().add(f);
        dirs.entry(group_dir(f.path())).or_default().add(f);
    }
    (areas, dirs)
}

fn lossy(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn display_path(f: &FileStat) -> String {
    match (&f.old_path, &f.new_path) {
        (Some(o), Some(n)) if o != n => format!("{} => {}", lossy(o), lossy(n)),
        _ => lossy(f.path()),
    }
}

/// Right-aligned table with a header; the last column is left-aligned.
pub fn render_table(header: &[&str], rows: &[Vec<String>]) -> String {
    let cols = header.len();
    let mut width = vec![0; cols];
    for (c, h) in header.iter().enumerate() {
        width[c] = h.chars().count();
    }
    for r in rows {
        for (c, v) in r.iter().enumerate().take(cols) {
            width[c] = width[c].max(v.chars().count());
        }
    }
    let mut out = String::new();
    let line = |out: &mut String, r: &[String]| {
        for (c, v) in r.iter().enumerate() {
            let pad = width[c].saturating_sub(v.chars().count());
            if c + 1 == cols {
                out.push_str(v);
            } else {
                out.push_str(&" ".repeat(pad));
                out.push_str(v);
                out.push_str("  ");
            }
        }
        while out.ends_with(' ') {
            out.pop();
        }
        out.push('\n');
    };
    let h: Vec<String> = header.iter().map(|s| s.to_string()).collect();
    line(&mut out, &h);
    for r in rows {
        line(&mut out, r);
    }
    out
}

/// The count columns of both the file rows and the totals rows; each table
/// puts its own first column before them and its own last ones after.
const COUNT_COLUMNS: [&str; 7] = [
    "added",
    "removed",
    "modified",
    "ws-only",
    "code+/-",
    "comment+/-",
    "blank+/-",
];

fn header<'a>(first: &'a str, last: &[&'a str]) -> Vec<&'a str> {
    std::iter::once(first)
        .chain(COUNT_COLUMNS)
        .chain(last.iter().copied())
        .collect()
}

/// Cells for the [`COUNT_COLUMNS`] after `added` and `removed`.
fn count_cells(
    modified: u64,
    whitespace_only: u64,
    added: &ClassCounts,
    removed: &ClassCounts,
) -> [String; 5] {
    let pm = |a: u64, b: u64| format!("+{a}/-{b}");
    [
        modified.to_string(),
        whitespace_only.to_string(),
        pm(added.code, removed.code),
        pm(added.comment, removed.comment),
        pm(added.blank, removed.blank),
    ]
}

fn file_row(f: &FileStat) -> Vec<String> {
    let mut st = f.status.letter().to_string();
    if let Some(s) = f.similarity {
        st = format!("R{s}");
    }
    let (added, removed) = if f.binary {
        ("-".to_string(), "-".to_string())
    } else {
        (f.added.to_string(), f.removed.to_string())
    };
    let mut name = display_path(f);
    if f.binary {
        name.push_str("  [binary]");
    }
    if f.generated.is_some() {
        name.push_str("  [generated]");
    }
    if f.symlink {
        name.push_str("  [symlink]");
    }
    let mut row = vec![st, added, removed];
    row.extend(count_cells(
        f.modified,
        f.whitespace_only,
        &f.added_by_class,
        &f.removed_by_class,
    ));
    row.extend([f.new_lines.total().to_string(), name]);
    row
}

fn totals_row(name: &str, t: &Totals) -> Vec<String> {
    let mut row = vec![
        t.files.to_string(),
        t.added.to_string(),
        t.removed.to_string(),
    ];
    row.extend(count_cells(
        t.modified,
        t.whitespace_only,
        &t.added_by_class,
        &t.removed_by_class,
    ));
    row.push(name.to_string());
    row
}

/// The default human report.
pub fn write_table(w: &mut dyn Write, cmp: &Comparison, list_files: bool) -> io::Result<()> {
    writeln!(w, "bilby-diffstat: {} -> {}", cmp.old_label, cmp.new_label)?;
    writeln!(w, "algorithm: {}", cmp.algorithm.describe())?;
    writeln!(
        w,
        "renames: {}",
        if cmp.renames {
            "detected (no file-count limit)"
        } else {
            "off"
        }
    )?;
    writeln!(w)?;
    if list_files && !cmp.files.is_empty() {
        let rows: Vec<Vec<String>> = cmp
            .files
            .iter()
            .map(|f| {
                let mut r = file_row(f);
                if f.path().is_empty() {
                    // Two single files: name them by their labels.
                    let last = r.len() - 1;
                    r[last] = format!("{} => {}", cmp.old_label, cmp.new_label);
                }
                r
            })
            .collect();
        w.write_all(render_table(&header("st", &["lines", "file"]), &rows).as_bytes())?;
        writeln!(w)?;
    }
    let (text, bin, generated) = totals(&cmp.files);
    let (areas, dirs) = by_area(&cmp.files);
    let totals_header = header("files", &[""]);
    let mut rows = vec![totals_row("text files (hand-written)", &text)];
    rows.push(totals_row("generated files (kept apart)", &generated));
    rows.push(totals_row("binary files (kept apart)", &bin));
    writeln!(w, "summary:")?;
    w.write_all(render_table(&totals_header, &rows).as_bytes())?;
    if areas.len() > 1 || areas.keys().any(|k| k != "shared") {
        writeln!(w, "\nby area (text files):")?;
        let rows: Vec<Vec<String>> = areas.iter().map(|(k, t)| totals_row(k, t)).collect();
        w.write_all(render_table(&totals_header, &rows).as_bytes())?;
    }
    if dirs.len() > 1 {
        writeln!(w, "\nby directory (text files):")?;
        let rows: Vec<Vec<String>> = dirs.iter().map(|(k, t)| totals_row(k, t)).collect();
        w.write_all(render_table(&totals_header, &rows).as_bytes())?;
    }
    let list = |w: &mut dyn Write, title: &str, pick: &dyn Fn(&FileStat) -> Option<String>| {
        let items: Vec<String> = cmp.files.iter().filter_map(pick).collect();
        if !items.is_empty() {
            writeln!(w, "\n{title} ({}):", items.len())?;
            for i in items {
                writeln!(w, "  {i}")?;
            }
        }
        io::Result::Ok(())
    };
    list(w, "binary files", &|f| f.binary.then(|| display_path(f)))?;
    list(w, "generated files", &|f| {
        f.generated.map(|r| format!("{}  ({r})", display_path(f)))
    })?;
    if !cmp.skipped.is_empty() {
        writeln!(
            w,
            "\nnot compared (special files, submodules): {}",
            cmp.skipped.len()
        )?;
        for s in &cmp.skipped {
            writeln!(w, "  {}", lossy(s))?;
        }
    }
    Ok(())
}

#[derive(Serialize)]
struct JsonReport<'a> {
    schema: &'static str,
    algorithm: crate::lines::Algorithm,
    algorithm_description: &'static str,
    old: &'a str,
    new: &'a str,
    renames: bool,
    totals: Totals,
    generated_totals: Totals,
    binary_totals: Totals,
    by_area: BTreeMap<String, Totals>,
    by_directory: BTreeMap<String, Totals>,
    files: &'a [FileStat],
    skipped: Vec<String>,
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    ports: &'a [PortReport],
}

/// `--json`: see `SCHEMA.md`. `ports` (from `--port`) are left out when empty.
pub fn write_json(w: &mut dyn Write, cmp: &Comparison, ports: &[PortReport]) -> io::Result<()> {
    let (text, bin, generated) = totals(&cmp.files);
    let (areas, dirs) = by_area(&cmp.files);
    let rep = JsonReport {
        schema: JSON_SCHEMA,
        algorithm: cmp.algorithm,
        algorithm_description: cmp.algorithm.describe(),
        old: &cmp.old_label,
        new: &cmp.new_label,
        renames: cmp.renames,
        totals: text,
        generated_totals: generated,
        binary_totals: bin,
        by_area: areas,
        by_directory: dirs,
        files: &cmp.files,
        skipped: cmp.skipped.iter().map(|s| lossy(s)).collect(),
        ports,
    };
    serde_json::to_writer_pretty(&mut *w, &rep)?;
    writeln!(w)
}

/// Quotes a CSV field when it needs it (RFC 4180).
pub fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

/// `--csv`: one row per file, algorithm in a leading comment-free column.
pub fn write_csv(w: &mut dyn Write, cmp: &Comparison) -> io::Result<()> {
    writeln!(
        w,
        "algorithm,status,similarity,old_path,new_path,lang,binary,generated,symlink,added,removed,modified,whitespace_only,\
         added_code,added_comment,added_blank,removed_code,removed_comment,removed_blank,old_lines,new_lines,old_bytes,new_bytes"
    )?;
    let alg = match cmp.algorithm {
        crate::lines::Algorithm::Minimal => "minimal",
        crate::lines::Algorithm::Myers => "myers",
        crate::lines::Algorithm::Histogram => "histogram",
    };
    for f in &cmp.files {
        let row = [
            alg.to_string(),
            format!("{:?}", f.status).to_lowercase(),
            f.similarity.map(|s| s.to_string()).unwrap_or_default(),
            csv_field(&f.old_path.as_deref().map(lossy).unwrap_or_default()),
            csv_field(&f.new_path.as_deref().map(lossy).unwrap_or_default()),
            f.lang.name().to_string(),
            f.binary.to_string(),
            csv_field(f.generated.unwrap_or("")),
            f.symlink.to_string(),
            f.added.to_string(),
            f.removed.to_string(),
            f.modified.to_string(),
            f.whitespace_only.to_string(),
            f.added_by_class.code.to_string(),
            f.added_by_class.comment.to_string(),
            f.added_by_class.blank.to_string(),
            f.removed_by_class.code.to_string(),
            f.removed_by_class.comment.to_string(),
            f.removed_by_class.blank.to_string(),
            f.old_lines.total().to_string(),
            f.new_lines.total().to_string(),
            f.old_bytes.to_string(),
            f.new_bytes.to_string(),
        ];
        writeln!(w, "{}", row.join(","))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: Vec<u8>) -> String {
        String::from_utf8(v).unwrap()
    }

    #[test]
    fn rename_notation_matches_git() {
        assert_eq!(s(pprint_rename(b"a/bin", b"b/bin")), "{a => b}/bin");
        assert_eq!(s(pprint_rename(b"a/sub/m", b"b/sub/m")), "{a => b}/sub/m");
        assert_eq!(s(pprint_rename(b"/dev/null", b"b/x")), "/dev/null => b/x");
        assert_eq!(s(pprint_rename(b"../a/f", b"../b/f")), "../{a => b}/f");
        assert_eq!(
            s(pprint_rename(
                b"t/linux-6.1/Makefile",
                b"t/linux-6.12/Makefile"
            )),
            "t/{linux-6.1 => linux-6.12}/Makefile"
        );
        assert_eq!(s(pprint_rename(b"a/x/f", b"a/y/f")), "a/{x => y}/f");
        assert_eq!(s(pprint_rename(b"a/f", b"a/g")), "a/{f => g}");
    }

    #[test]
    fn quoting_matches_git() {
        assert_eq!(quote_c_style(b"plain/name"), None);
        assert_eq!(
            s(quote_c_style("a/é t".as_bytes()).unwrap()),
            "\"a/\\303\\251 t\""
        );
        assert_eq!(
            s(quote_c_style(b"a\tb\"c\\").unwrap()),
            "\"a\\tb\\\"c\\\\\""
        );
        assert_eq!(s(quote_c_style(b"x\x01\x7f").unwrap()), "\"x\\001\\177\"");
    }
}
