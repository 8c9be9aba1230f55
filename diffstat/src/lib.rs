//! `bilby-diffstat`: the effort of an OS port measured in changed lines,
//! churn across versions and hooks in shared code, not in file counts.
//!
//! The pipeline: [`source`] lists two trees (directories, or git revisions
//! read from the object database), [`compare`] pairs their entries in git's
//! order and diffs each pair with [`lines`] (whose `minimal` algorithm
//! reproduces `git diff --minimal` counts), [`rename`] pairs removals with
//! additions without a file-count limit, [`classify`] splits lines into
//! code / comment / blank and paths into arch / shared, [`port`] and
//! [`churn`] aggregate for a port and a version series, and [`output`] and
//! [`chart`] write the reports.
//!
//! The library never prints and never exits: every failure is an error value
//! with the path it concerns, so the binary can report it in one line.
#![deny(unsafe_code)]

pub mod chart;
pub mod churn;
pub mod classify;
pub mod compare;
pub mod lines;
pub mod output;
pub mod port;
pub mod rename;
pub mod source;
