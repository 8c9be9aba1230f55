//! Where file trees come from: a directory on disk, or a revision of a git
//! repository read straight from its object database (no checkout).
//!
//! Both produce the same flat, sorted list of [`Entry`]s. Symlinks are
//! entries of their own whose content is the link target; they are never
//! followed, so a tree with links into itself is counted once.

use anyhow::{anyhow, bail, Context, Result};
use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

/// What a tree entry is, as git's canonical modes see it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// A regular file (`exec`: the owner-executable bit, git's 100755).
    File { exec: bool },
    /// A symbolic link; its content is the target path.
    Symlink,
    /// A directory; it has no content and only shapes the pairing order.
    Dir,
    /// A FIFO, socket or device node: listed, never read.
    Special,
    /// A git submodule (a commit in a tree); its content is git's
    /// `Subproject commit <id>` line.
    Submodule,
}

impl Kind {
    /// True for entries that carry content to compare.
    pub fn has_content(self) -> bool {
        matches!(self, Kind::File { .. } | Kind::Symlink | Kind::Submodule)
    }
}

/// One entry of a tree. `path` is relative to the tree root, `/`-separated.
#[derive(Debug, Clone)]
pub struct Entry {
    pub path: Vec<u8>,
    pub kind: Kind,
    /// Size in bytes when known without reading (files on disk).
    pub size: u64,
    /// The blob id, in git mode.
    pub oid: Option<gix::ObjectId>,
}

/// A tree to compare.
#[derive(Debug)]
pub enum Tree {
    /// A directory on disk; `display` is the root as the user wrote it.
    Dir { root: PathBuf, display: Vec<u8> },
    /// A single file on disk (both sides must then be files).
    File { path: PathBuf, display: Vec<u8> },
    /// A revision of a git repository.
    Git {
        repo: Box<gix::ThreadSafeRepository>,
        rev: String,
        tree: gix::ObjectId,
    },
}

impl Tree {
    /// Opens a path given on the command line. The root itself may be a
    /// symlink (it is resolved once); nothing below it is followed.
    pub fn open_path(arg: &OsStr) -> Result<Tree> {
        let path = PathBuf::from(arg);
        let shown = path.display();
        let meta = std::fs::metadata(&path).map_err(|e| match e.raw_os_error() {
            Some(40) => anyhow!("{shown}: symlink loop (too many levels of symbolic links)"),
            _ if e.kind() == std::io::ErrorKind::NotFound => {
                anyhow!("{shown}: no such file or directory")
            }
            _ => anyhow!("{shown}: {e}"),
        })?;
        let display = arg.as_bytes().to_vec();
        if meta.is_dir() {
            std::fs::read_dir(&path).map_err(|e| anyhow!("{shown}: cannot read directory: {e}"))?;
            Ok(Tree::Dir {
                root: path,
                display,
            })
        } else if meta.is_file() {
            Ok(Tree::File { path, display })
        } else {
            bail!("{shown}: not a regular file or directory")
        }
    }

    /// Opens revision `rev` of the repository at `repo_path` without a checkout.
    pub fn open_git(repo_path: &Path, rev: &str) -> Result<Tree> {
        let repo = gix::open(repo_path)
            .map_err(|e| anyhow!("{}: not a git repository ({e})", repo_path.display()))?;
        let tree = {
            let id = repo
                .rev_parse_single(rev)
                .map_err(|_| anyhow!("{}: unknown revision `{rev}`", repo_path.display()))?;
            let obj = id
                .object()
                .with_context(|| format!("reading object {id}"))?;
            obj.peel_to_tree()
                .map_err(|_| anyhow!("{}: revision `{rev}` names no tree", repo_path.display()))?
                .id
        };
        Ok(Tree::Git {
            repo: Box::new(repo.into_sync()),
            rev: rev.to_string(),
            tree,
        })
    }

    /// The name shown for this tree in reports.
    pub fn label(&self) -> String {
        match self {
            Tree::Dir { display, .. } | Tree::File { display, .. } => {
                String::from_utf8_lossy(display).into_owned()
            }
            Tree::Git { rev, .. } => rev.clone(),
        }
    }

    /// The prefix git's no-index mode puts before each relative path.
    pub fn path_prefix(&self) -> Vec<u8> {
        match self {
            Tree::Dir { display, .. } => {
                let mut p = display.clone();
                if !p.ends_with(b"/") {
                    p.push(b'/');
                }
                p
            }
            Tree::File { display, .. } => display.clone(),
            // Like `git diff A B`: paths relative to the repository root.
            Tree::Git { .. } => Vec::new(),
        }
    }

    /// All entries in git's no-index order: depth first, siblings sorted by
    /// name bytes (the order of component-wise comparison).
    pub fn entries(&self) -> Result<Vec<Entry>> {
        let mut out = match self {
            Tree::Dir { root, .. } => walk_dir(root)?,
            Tree::File { path, .. } => {
                let meta = std::fs::symlink_metadata(path)
                    .with_context(|| format!("{}", path.display()))?;
                vec![Entry {
                    path: Vec::new(),
                    kind: kind_of(&meta),
                    size: meta.len(),
                    oid: None,
                }]
            }
            Tree::Git { repo, tree, .. } => walk_git(&repo.to_thread_local(), *tree)?,
        };
        if matches!(self, Tree::Git { .. }) {
            // `git diff A B` lists paths in index order: plain byte order.
            out.sort_unstable_by(|a, b| a.path.cmp(&b.path));
        } else {
            out.sort_unstable_by(|a, b| path_order(&a.path, &b.path));
        }
        Ok(out)
    }

    /// Reads the content of an entry: file bytes, or a symlink's target.
    pub fn read(&self, entry: &Entry, repo: Option<&gix::Repository>) -> Result<Vec<u8>> {
        match self {
            Tree::Dir { root, .. } => read_fs(&root.join(OsStr::from_bytes(&entry.path)), entry),
            Tree::File { path, .. } => read_fs(path, entry),
            Tree::Git { .. } => {
                let repo = repo.ok_or_else(|| anyhow!("git tree read without a repository"))?;
                let oid = entry
                    .oid
                    .ok_or_else(|| anyhow!("git entry without an id"))?;
                if entry.kind == Kind::Submodule {
                    return Ok(format!("Subproject commit {oid}\n").into_bytes());
                }
                let obj = repo
                    .find_object(oid)
                    .with_context(|| format!("reading blob {oid}"))?;
                Ok(obj.detach().data)
            }
        }
    }

    /// A thread-local repository handle, for trees read from git.
    pub fn thread_repo(&self) -> Option<gix::Repository> {
        match self {
            Tree::Git { repo, .. } => Some(repo.to_thread_local()),
            _ => None,
        }
    }
}

fn read_fs(path: &Path, entry: &Entry) -> Result<Vec<u8>> {
    match entry.kind {
        Kind::Symlink => std::fs::read_link(path)
            .map(|t| t.into_os_string().into_encoded_bytes())
            .map_err(|e| anyhow!("{}: cannot read link: {e}", path.display())),
        _ => read_sized(path, entry.size)
            .map_err(|e| anyhow!("{}: cannot read: {e}", path.display())),
    }
}

/// Reads a file whose size the walk already saw: one `read` call in the
/// common case instead of `fs::read`'s stat and two reads.
fn read_sized(path: &Path, size: u64) -> std::io::Result<Vec<u8>> {
    use std::io::Read;
    if size == 0 {
        return std::fs::read(path);
    }
    let mut f = std::fs::File::open(path)?;
    let mut buf = vec![0u8; size as usize];
    let mut n = 0;
    while n < buf.len() {
        let got = f.read(&mut buf[n..])?;
        if got == 0 {
            break;
        }
        n += got;
    }
    buf.truncate(n);
    Ok(buf)
}

/// Orders paths as git's no-index walk visits them: component by component,
/// each compared as bytes (so `a/b` comes before `a.c`).
pub fn path_order(a: &[u8], b: &[u8]) -> std::cmp::Ordering {
    let key = |c: u8| if c == b'/' { 0 } else { c };
    a.iter().map(|&c| key(c)).cmp(b.iter().map(|&c| key(c)))
}

fn kind_of(meta: &std::fs::Metadata) -> Kind {
    let ft = meta.file_type();
    if ft.is_symlink() {
        Kind::Symlink
    } else if ft.is_dir() {
        Kind::Dir
    } else if ft.is_file() {
        Kind::File {
            exec: meta.permissions().mode() & 0o100 != 0,
        }
    } else {
        Kind::Special
    }
}

fn walk_dir(root: &Path) -> Result<Vec<Entry>> {
    let mut out = Vec::new();
    for item in walkdir::WalkDir::new(root)
        .follow_links(false)
        .min_depth(1)
        .sort_by_file_name()
    {
        let item = item.map_err(|e| {
            let path = e.path().unwrap_or(root).display().to_string();
            match e.io_error() {
                Some(io) => anyhow!("{path}: {io}"),
                None => anyhow!("{path}: {e}"),
            }
        })?;
        let rel = item
            .path()
            .strip_prefix(root)
            .map_err(|_| anyhow!("{}: outside the tree", item.path().display()))?;
        let meta = item
            .metadata()
            .map_err(|e| anyhow!("{}: {e}", item.path().display()))?;
        out.push(Entry {
            path: rel.as_os_str().as_bytes().to_vec(),
            kind: kind_of(&meta),
            size: meta.len(),
            oid: None,
        });
    }
    Ok(out)
}

fn walk_git(repo: &gix::Repository, tree: gix::ObjectId) -> Result<Vec<Entry>> {
    let tree = repo
        .find_tree(tree)
        .with_context(|| format!("reading tree {tree}"))?;
    let mut rec = gix::traverse::tree::Recorder::default();
    tree.traverse()
        .breadthfirst(&mut rec)
        .context("walking the git tree")?;
    let mut out = Vec::with_capacity(rec.records.len());
    for r in rec.records {
        use gix::object::tree::EntryKind as K;
        let kind = match r.mode.kind() {
            K::Tree => Kind::Dir,
            K::Blob => Kind::File { exec: false },
            K::BlobExecutable => Kind::File { exec: true },
            K::Link => Kind::Symlink,
            K::Commit => Kind::Submodule,
        };
        out.push(Entry {
            path: r.filepath.to_vec(),
            kind,
            size: 0,
            oid: Some(r.oid),
        });
    }
    Ok(out)
}
