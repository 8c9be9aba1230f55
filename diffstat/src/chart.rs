//! `--svg FILE`: churn per version step per port, as grouped bars.

use crate::churn::Step;
use anyhow::{anyhow, Result};
use plotters::prelude::*;
use std::path::Path;

const COLORS: [RGBColor; 6] = [
    RGBColor(31, 119, 180),
    RGBColor(255, 127, 14),
    RGBColor(44, 160, 44),
    RGBColor(214, 39, 40),
    RGBColor(148, 103, 189),
    RGBColor(140, 86, 75),
];

/// Writes an SVG bar chart of churned lines (own code) per step and port.
pub fn churn_svg(path: &Path, steps: &[Step]) -> Result<()> {
    let ports: Vec<String> = steps
        .first()
        .map(|s| s.ports.iter().map(|p| p.port.clone()).collect())
        .unwrap_or_default();
    let max = steps
        .iter()
        .flat_map(|s| s.ports.iter().map(|p| p.churned.max(p.hook_churned)))
        .max()
        .unwrap_or(1)
        .max(1);
    let err = |e: &dyn std::fmt::Display| anyhow!("{}: drawing the chart: {e}", path.display());
    let root = SVGBackend::new(path, (900, 480)).into_drawing_area();
    root.fill(&WHITE).map_err(|e| err(&e))?;
    let n = steps.len().max(1) as f64;
    let mut chart = ChartBuilder::on(&root)
        .caption(
            "churned lines per version step (own code; lighter bar: shared-code hooks)",
            ("sans-serif", 18),
        )
        .margin(16)
        .x_label_area_size(40)
        .y_label_area_size(70)
        .build_cartesian_2d(0f64..n, 0u64..(max + max / 10 + 1))
        .map_err(|e| err(&e))?;
    let labels: Vec<String> = steps
        .iter()
        .map(|s| format!("{} -> {}", s.from, s.to))
        .collect();
    chart
        .configure_mesh()
        .disable_x_mesh()
        .x_labels(steps.len().max(1) * 2 + 1)
        .x_label_formatter(&|x| {
            let k = x.floor() as usize;
            if (x - k as f64 - 0.5).abs() < 0.01 {
                labels.get(k).cloned().unwrap_or_default()
            } else {
                String::new()
            }
        })
        .y_desc("lines")
        .draw()
        .map_err(|e| err(&e))?;
    let slots = (ports.len() * 2).max(1) as f64;
    for (pi, name) in ports.iter().enumerate() {
        let color = COLORS[pi % COLORS.len()];
        let mut bars = Vec::new();
        for (si, s) in steps.iter().enumerate() {
            let Some(p) = s.ports.iter().find(|p| &p.port == name) else {
                continue;
            };
            let x0 = si as f64 + 0.1 + 0.8 * (pi * 2) as f64 / slots;
            let w = 0.8 / slots;
            bars.push(Rectangle::new(
                [(x0, 0), (x0 + w, p.churned)],
                color.filled(),
            ));
            bars.push(Rectangle::new(
                [(x0 + w, 0), (x0 + 2.0 * w, p.hook_churned)],
                color.mix(0.4).filled(),
            ));
        }
        chart
            .draw_series(bars)
            .map_err(|e| err(&e))?
            .label(name.as_str())
            .legend(move |(x, y)| Rectangle::new([(x, y - 5), (x + 10, y + 5)], color.filled()));
    }
    chart
        .configure_series_labels()
        .border_style(BLACK)
        .background_style(WHITE.mix(0.8))
        .draw()
        .map_err(|e| err(&e))?;
    root.present().map_err(|e| err(&e))?;
    Ok(())
}
