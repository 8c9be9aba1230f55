//! Port mode, series churn, git revisions and the chart, on small trees
//! whose right answers are known by construction.

mod common;

use common::{git, text_of, tool, write_file};
use std::fs;
use std::path::Path;

fn write(root: &Path, rel: &str, body: &str) {
    write_file(&root.join(rel), body);
}

/// Upstream tree plus a ported tree: arch/l4 added, two shared hooks.
fn upstream_and_port(t: &Path) {
    for side in ["up", "port"] {
        let r = t.join(side);
        write(&r, "kernel/fork.c", "int a;\nint b;\nint c;\n");
        write(&r, "arch/x86/kernel/x.c", "int x;\n");
        write(&r, "Makefile", "obj-y += kernel/\n");
    }
    let p = t.join("port");
    write(&p, "arch/l4/Kconfig", "config L4\n\tbool \"l4\"\n");
    write(
        &p,
        "arch/l4/kernel/entry.c",
        "/* entry */\nint e;\n\nint f;\n",
    );
    write(
        &p,
        "kernel/fork.c",
        "int a;\n#ifdef CONFIG_L4\nint l4_hook;\n#endif\nint b;\nint c;\n",
    );
    write(
        &p,
        "Makefile",
        "obj-y += kernel/\nobj-$(CONFIG_L4) += l4/\n",
    );
}

#[test]
fn port_mode_lists_hooks_first_with_config_hunks() {
    let t = tempfile::tempdir().unwrap();
    upstream_and_port(t.path());
    let s = text_of(
        tool()
            .current_dir(t.path())
            .args(["--port", "arch/l4", "up", "port"])
            .output()
            .unwrap(),
    );
    let hooks = s.find("hooks in shared code: 2 files, +4 -0 lines, 2 CONFIG hunks");
    let own = s.find("own code: 2 files changed, +6 -0 lines; 2 files added (6 lines");
    assert!(hooks.is_some() && own.is_some(), "{s}");
    assert!(hooks < own, "hooks must come first:\n{s}");
    assert!(s.contains("algorithm: minimal"), "{s}");

    let out = tool()
        .current_dir(t.path())
        .args(["--json", "--port", "arch/l4", "up", "port"])
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let p = &v["ports"][0];
    assert_eq!(p["spec"]["symbols"][0], "L4");
    assert_eq!(p["hook_config_hunks"], 2);
    assert_eq!(p["own_added"]["files"], 2);
    assert_eq!(p["new_size"]["lines"]["comment"], 1);
    assert_eq!(p["new_size"]["lines"]["blank"], 1);
    assert_eq!(v["by_area"]["arch:l4"]["added"], 6);
}

#[test]
fn series_churn_and_chart() {
    let t = tempfile::tempdir().unwrap();
    let body = |n: usize| -> String { (0..n).map(|i| format!("int v{i};\n")).collect() };
    let changed = format!("{}int new;\n", body(9));
    // v1 -> v2 changes the port's last line and its hook; v2 -> v3 nothing.
    for (v, port, hook) in [
        ("v1", body(10), "int u;\n"),
        ("v2", changed.clone(), "int u2;\n"),
        ("v3", changed, "int u2;\n"),
    ] {
        let root = t.path().join(v);
        write(&root, "arch/um/a.c", &port);
        write(
            &root,
            "mm/m.c",
            &format!("#ifdef CONFIG_UML\n{hook}#endif\n"),
        );
    }
    let svg = t.path().join("churn.svg");
    let out = tool()
        .current_dir(t.path())
        .args(["--series", "--json", "--port", "um", "--svg"])
        .arg(&svg)
        .args(["v1", "v2", "v3"])
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&common::stdout_of(out)).unwrap();
    assert_eq!(v["schema"], "bilby-diffstat/1-series");
    let steps = v["steps"].as_array().unwrap();
    assert_eq!(steps.len(), 2);
    let um = &steps[0]["ports"][0];
    assert_eq!(um["lines"], 10);
    assert_eq!(um["churned"], 2);
    assert!((um["relative_churn"].as_f64().unwrap() - 0.2).abs() < 1e-9);
    assert_eq!(um["hook_churned"], 2);
    assert_eq!(um["hook_config_hunks"], 1);
    assert_eq!(steps[1]["ports"][0]["churned"], 0);
    let chart = fs::read_to_string(&svg).unwrap();
    assert!(
        chart.starts_with("<svg") && chart.contains("v1 -&gt; v2"),
        "{chart}"
    );

    let md = tool()
        .current_dir(t.path())
        .args(["--series", "--markdown", "--port", "um", "v1", "v2", "v3"])
        .output()
        .unwrap();
    let md = String::from_utf8(md.stdout).unwrap();
    assert!(
        md.contains("| um | arch/um | 1 → 1 | 10 (10 / 0 / 0) | 10 | 2 (+1 / -1) | 20.0% |"),
        "{md}"
    );
    assert!(!md.contains("overlap"), "one port overlaps nothing:\n{md}");
}

#[test]
fn nested_ports_are_noted_as_counted_twice() {
    let t = tempfile::tempdir().unwrap();
    for (v, body) in [("v1", "int a;\n"), ("v2", "int b;\n")] {
        write(&t.path().join(v), "arch/x86/xen/enlighten.c", body);
    }
    let md = text_of(
        tool()
            .current_dir(t.path())
            .args(["--series", "--markdown", "--port", "xen", "--port", "x86"])
            .args(["v1", "v2"])
            .output()
            .unwrap(),
    );
    assert!(
        md.contains("Note: the ports overlap (arch/x86/xen lies inside arch/x86)"),
        "{md}"
    );
    assert!(
        md.contains("4 churned own lines of 2 (200.0%)"),
        "the sum holds the nested file's lines twice:\n{md}"
    );
}

#[test]
fn series_over_git_revisions() {
    let t = tempfile::tempdir().unwrap();
    let r = t.path();
    git(r, &["init", "-q", "-b", "main"]);
    for (i, body) in ["a\n", "a\nb\n", "x\nb\n"].iter().enumerate() {
        write(r, "arch/l4/k.c", body);
        git(r, &["add", "."]);
        git(r, &["commit", "-q", "-m", "c"]);
        git(r, &["tag", &format!("v{i}")]);
    }
    let s = text_of(
        tool()
            .args(["--series", "--csv", "--port", "l4", "--git"])
            .arg(r)
            .args(["v0", "v1", "v2"])
            .output()
            .unwrap(),
    );
    let rows: Vec<&str> = s.lines().collect();
    assert_eq!(rows.len(), 3, "{s}");
    assert!(rows[1].starts_with("v0,v1,l4,1,2,1,1.0000,"), "{s}");
    assert!(rows[2].starts_with("v1,v2,l4,2,2,2,1.0000,"), "{s}");
}
