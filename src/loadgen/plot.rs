//! Latency percentiles against throughput, as an SVG: one line per target and percentile, each
//! point one run of a sweep (or one single run), so a server can be drawn beside a ceiling (a
//! static answer from nginx) or another webhook.

use std::path::Path;

use plotters::prelude::*;
use serde::{Deserialize, Serialize};

use super::{LoadReport, LoadgenError};

/// The runs of one target, as `loadgen --sweep --output json` prints them.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Sweep {
    /// What was measured (`--label`).
    pub label: String,
    /// The URL the requests went to.
    pub server: String,
    /// One report per rate, in the order run.
    pub runs: Vec<LoadReport>,
}

/// Picks one percentile out of a run's latencies.
type Pick = fn(&super::Latencies) -> f64;

/// The percentiles drawn, with their names.
const PERCENTILES: [(&str, Pick); 3] = [
    ("p50", |l| l.p50),
    ("p99", |l| l.p99),
    ("p99.9", |l| l.p999),
];

/// Colours by target, cycled.
const COLOURS: [RGBColor; 6] = [
    RGBColor(0x1f, 0x77, 0xb4),
    RGBColor(0xd6, 0x27, 0x28),
    RGBColor(0x2c, 0xa0, 0x2c),
    RGBColor(0x94, 0x67, 0xbd),
    RGBColor(0xff, 0x7f, 0x0e),
    RGBColor(0x8c, 0x56, 0x4b),
];

/// Draws `sweeps` into an SVG file at `path`: throughput (answers/s) across, latency (µs, log
/// scale) up.
pub fn plot(sweeps: &[Sweep], path: &Path) -> Result<(), LoadgenError> {
    let failed = |e: &dyn std::fmt::Display| LoadgenError::Plot(format!("{}: {e}", path.display()));
    let points = |sweep: &Sweep, pick: Pick| -> Vec<(f64, f64)> {
        let mut points: Vec<(f64, f64)> = sweep
            .runs
            .iter()
            .filter_map(|run| {
                Some((
                    run.answers_per_second,
                    pick(run.latency_microseconds.as_ref()?),
                ))
            })
            .collect();
        points.sort_by(|a, b| a.0.total_cmp(&b.0));
        points
    };
    let all: Vec<(f64, f64)> = sweeps
        .iter()
        .flat_map(|s| {
            PERCENTILES
                .iter()
                .flat_map(move |(_, pick)| points(s, *pick))
        })
        .collect();
    if all.is_empty() {
        return Err(LoadgenError::Plot(
            "nothing to plot: no run answered".into(),
        ));
    }
    let max_x = all.iter().map(|p| p.0).fold(1.0, f64::max) * 1.05;
    let min_y = all
        .iter()
        .map(|p| p.1)
        .fold(f64::INFINITY, f64::min)
        .max(1.0)
        / 1.5;
    let max_y = all.iter().map(|p| p.1).fold(1.0, f64::max) * 1.5;

    let root = SVGBackend::new(path, (960, 600)).into_drawing_area();
    root.fill(&WHITE).map_err(|e| failed(&e))?;
    let mut chart = ChartBuilder::on(&root)
        .caption(
            "SubjectAccessReview latency against throughput",
            ("sans-serif", 22),
        )
        .margin(16)
        .x_label_area_size(48)
        .y_label_area_size(72)
        .build_cartesian_2d(0f64..max_x, (min_y..max_y).log_scale())
        .map_err(|e| failed(&e))?;
    chart
        .configure_mesh()
        .x_desc("answers per second")
        .y_desc("latency (µs)")
        .x_label_formatter(&|x| format!("{x:.0}"))
        .y_label_formatter(&|y| format!("{y:.0}"))
        .draw()
        .map_err(|e| failed(&e))?;
    for (i, sweep) in sweeps.iter().enumerate() {
        let colour = COLOURS[i % COLOURS.len()];
        for (j, (name, pick)) in PERCENTILES.iter().enumerate() {
            let line = points(sweep, *pick);
            // Thicker for the higher percentiles, so the three lines of a target tell apart.
            let style = colour.stroke_width(1 + j as u32);
            chart
                .draw_series(LineSeries::new(line.clone(), style))
                .map_err(|e| failed(&e))?
                .label(format!("{} {name}", sweep.label))
                .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], style));
            chart
                .draw_series(line.iter().map(|&p| Circle::new(p, 3, colour.filled())))
                .map_err(|e| failed(&e))?;
        }
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperLeft)
        .background_style(WHITE.mix(0.8))
        .border_style(BLACK)
        .draw()
        .map_err(|e| failed(&e))?;
    root.present().map_err(|e| failed(&e))?;
    Ok(())
}
