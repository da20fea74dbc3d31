//! PNG plots, drawn by plotters' pure-Rust bitmap backend with a font embedded from the
//! `dejavu` crate: no system fonts or libraries are needed.

use plotters::coord::ranged1d::{AsRangedCoord, ValueFormatter};
use plotters::coord::types::RangedCoordf64;
use plotters::coord::Shift;
use plotters::prelude::*;
use std::error::Error;
use std::path::Path;
use typenet::train::EpochReport;

pub const BLUE: RGBColor = RGBColor(31, 119, 180);
pub const ORANGE: RGBColor = RGBColor(255, 127, 14);
pub const GREEN: RGBColor = RGBColor(44, 160, 44);
pub const RED: RGBColor = RGBColor(214, 39, 40);
pub const PURPLE: RGBColor = RGBColor(148, 103, 189);
pub const BROWN: RGBColor = RGBColor(140, 86, 75);
pub const CYAN: RGBColor = RGBColor(23, 190, 207);
pub const GREY: RGBColor = RGBColor(90, 90, 90);

/// The font family the embedded font is registered as.
pub const SANS: &str = "sans-serif";

/// What drawing gives: plotters' errors, or the font's.
pub type Drawn<T = ()> = Result<T, Box<dyn Error>>;

/// A whole image, or a part of one.
pub type Canvas<'a> = DrawingArea<BitMapBackend<'a>, Shift>;

/// A chart with a linear x axis and `Y` up.
pub type Chart<'a, 'b, Y> = ChartContext<'a, BitMapBackend<'b>, Cartesian2d<RangedCoordf64, Y>>;

/// A white canvas of `size` pixels, written to `path` (its folder made if need be) by
/// `present`. It registers the embedded font first (again, if it was already).
pub fn canvas(path: &Path, size: (u32, u32)) -> Drawn<Canvas<'_>> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    plotters::style::register_font(SANS, FontStyle::Normal, dejavu::sans::regular())
        .map_err(|_| "the embedded DejaVu Sans font did not load")?;
    let root = BitMapBackend::new(path, size).into_drawing_area();
    root.fill(&WHITE)?;
    Ok(root)
}

/// The legend's sample of a line drawn in `style`.
pub fn swatch(style: ShapeStyle) -> impl Fn((i32, i32)) -> PathElement<(i32, i32)> {
    move |(x, y)| PathElement::new(vec![(x, y), (x + 24, y)], style)
}

/// `points` joined in `style`, named `label` in the legend.
pub fn line<Y: Ranged<ValueType = f64>>(
    chart: &mut Chart<'_, '_, Y>,
    points: impl IntoIterator<Item = (f64, f64)>,
    style: ShapeStyle,
    label: impl Into<String>,
) -> Drawn {
    chart
        .draw_series(LineSeries::new(points, style))?
        .label(label)
        .legend(swatch(style));
    Ok(())
}

/// A dashed line between `ends` in `style`, named `label` in the legend.
pub fn dashed<Y: Ranged<ValueType = f64>>(
    chart: &mut Chart<'_, '_, Y>,
    ends: [(f64, f64); 2],
    style: ShapeStyle,
    label: impl Into<String>,
) -> Drawn {
    chart
        .draw_series(DashedLineSeries::new(ends, 6, 4, style))?
        .label(label)
        .legend(swatch(style));
    Ok(())
}

/// The legend, at `position` in `font_size` text on white of `opacity`, framed in black.
pub fn legend<'a, 'b: 'a, Y: Ranged<ValueType = f64>>(
    chart: &mut Chart<'a, 'b, Y>,
    position: SeriesLabelPosition,
    font_size: u32,
    opacity: f64,
) -> Drawn {
    chart
        .configure_series_labels()
        .position(position)
        .label_font((SANS, font_size))
        .background_style(WHITE.mix(opacity))
        .border_style(BLACK)
        .draw()?;
    Ok(())
}

/// Axes for one value per epoch: epochs 1 to `last` across (at least 1 to 2), `y` up (a
/// range, or a log scale), both described, under `caption` in `caption_size` text.
/// `whole_epochs` labels the epochs 5, 10 where plotters would print 5.0, 10.0 (or 2.5
/// between 2 and 3); `y_labels` formats the y axis's labels where plotters' own would not do.
pub struct EpochAxes<'s> {
    pub caption: &'s str,
    pub caption_size: u32,
    pub last: usize,
    pub whole_epochs: bool,
    pub y_desc: &'s str,
    pub y_labels: Option<&'s dyn Fn(&f64) -> String>,
}

impl EpochAxes<'_> {
    /// The chart, its mesh drawn, on `area`.
    pub fn draw<'a, 'b, Y>(
        &self,
        area: &'a Canvas<'b>,
        y: Y,
    ) -> Drawn<Chart<'a, 'b, Y::CoordDescType>>
    where
        Y: AsRangedCoord<Value = f64>,
        Y::CoordDescType: ValueFormatter<f64>,
    {
        let mut chart = ChartBuilder::on(area)
            .caption(self.caption, (SANS, self.caption_size))
            .margin(15)
            .x_label_area_size(40)
            .y_label_area_size(60)
            .build_cartesian_2d(1f64..self.last.max(2) as f64, y)?;
        let mut mesh = chart.configure_mesh();
        mesh.x_desc("epoch")
            .y_desc(self.y_desc)
            .label_style((SANS, 14));
        if self.whole_epochs {
            mesh.x_label_formatter(&whole_epoch);
        }
        if let Some(format) = self.y_labels {
            mesh.y_label_formatter(format);
        }
        mesh.draw()?;
        Ok(chart)
    }
}

/// An epoch's label without decimals.
fn whole_epoch(epoch: &f64) -> String {
    format!("{epoch:.0}")
}

/// The lowest positive and the highest of `values`: the ends of a log scale's range.
pub fn log_range(values: impl IntoIterator<Item = f64>) -> (f64, f64) {
    values
        .into_iter()
        .fold((f64::INFINITY, 0.0f64), |(bottom, top), v| {
            (if v > 0.0 { bottom.min(v) } else { bottom }, top.max(v))
        })
}

/// Each epoch's mean training loss and validation loss, as (epoch, loss) points.
pub struct Losses {
    pub train: Vec<(f64, f64)>,
    pub validation: Vec<(f64, f64)>,
}

impl Losses {
    /// The losses of `history`; epochs without validation have no validation point.
    pub fn of(history: &[EpochReport<f32>]) -> Self {
        let train = history
            .iter()
            .map(|e| (e.epoch as f64, f64::from(e.train_loss)))
            .collect();
        let validation = history
            .iter()
            .filter_map(|e| e.validation.map(|v| (e.epoch as f64, f64::from(v.loss))))
            .collect();
        Losses { train, validation }
    }

    /// The lowest positive and the highest loss.
    pub fn range(&self) -> (f64, f64) {
        log_range(self.train.iter().chain(&self.validation).map(|&(_, l)| l))
    }

    /// The training losses in blue, then the validation losses in red, named `labels`.
    pub fn draw<Y: Ranged<ValueType = f64>>(
        &self,
        chart: &mut Chart<'_, '_, Y>,
        labels: [&str; 2],
    ) -> Drawn {
        let [train, validation] = labels;
        line(chart, self.train.clone(), BLUE.stroke_width(2), train)?;
        line(
            chart,
            self.validation.clone(),
            RED.stroke_width(2),
            validation,
        )
    }
}

/// A dashed grey line across the chart at `epoch`, from `low` to `high`, named as the kept
/// epoch in the legend.
pub fn mark_kept_epoch<Y: Ranged<ValueType = f64>>(
    chart: &mut Chart<'_, '_, Y>,
    epoch: usize,
    (low, high): (f64, f64),
) -> Drawn {
    let at = epoch as f64;
    dashed(
        chart,
        [(at, low), (at, high)],
        GREY.stroke_width(1),
        format!("kept epoch {epoch}"),
    )
}
