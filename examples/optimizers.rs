//! Every optimizer side by side: (1) the training loss per epoch and the final test accuracy
//! of each on the digits network, as a printed table and a plot; (2) the path of each on 2-D
//! test surfaces (Rosenbrock, Beale, and a narrow valley where plain SGD zig-zags and momentum
//! does not), as PNG plots; (3) every learning-rate schedule over 30 epochs.
//!
//!     cargo run --release --example optimizers [-- --out docs/plots --seeds 3 --epochs 30]
//!
//! The plots are drawn by plotters' pure-Rust bitmap backend, with a font embedded from the
//! `dejavu` crate: no system fonts or libraries are needed.

use common::flags::Flags;
use common::plot::{self, Canvas, Drawn, EpochAxes};
use common::plot::{BLUE, BROWN, CYAN, GREEN, GREY, ORANGE, PURPLE, RED};
use common::Spread;
use plotters::prelude::*;
use std::path::{Path, PathBuf};
use typenet::data::Dataset;
use typenet::optim::{Lbfgs, LbfgsState, LineSearch};
use typenet::prelude::*;
use typenet::schedule::{Constant, ExponentialDecay, InverseDecay, StepDecay};

#[allow(dead_code)]
#[path = "digits.rs"]
mod digits;

// The shared module comes with `digits.rs`: declaring it here as well would compile it twice.
use digits::common;

/// One optimizer for the digits network, by name, built fresh for each run.
struct Contender {
    name: &'static str,
    colour: RGBColor,
    train: fn(&Dataset<64>, &Dataset<64>, u64, usize, &mut Vec<f32>) -> digits::Run,
}

/// Trains with `optimizer`, pushing each epoch's mean training loss into `losses`.
fn run<O: Optimizer<f32>>(
    optimizer: Result<O, InvalidHyperParameter>,
    train: &Dataset<64>,
    test: &Dataset<64>,
    seed: u64,
    epochs: usize,
    losses: &mut Vec<f32>,
) -> digits::Run {
    let optimizer = optimizer.expect("the hyper-parameters are valid");
    digits::train(train, test, seed, epochs, optimizer, |_, loss, _| {
        losses.push(loss)
    })
    .expect("training succeeds")
}

/// The optimizers compared, with the learning rates of the course's usual recipes.
fn contenders() -> Vec<Contender> {
    vec![
        Contender {
            name: "SGD, lr 0.1",
            colour: RGBColor(120, 120, 120),
            train: |tr, te, s, e, l| run(Sgd::new(0.1), tr, te, s, e, l),
        },
        Contender {
            name: "momentum 0.9, lr 0.01",
            colour: BLUE,
            train: |tr, te, s, e, l| run(Momentum::new(0.01, 0.9), tr, te, s, e, l),
        },
        Contender {
            name: "Nesterov 0.9, lr 0.01",
            colour: CYAN,
            train: |tr, te, s, e, l| {
                run(
                    Momentum::new(0.01, 0.9).and_then(Momentum::nesterov),
                    tr,
                    te,
                    s,
                    e,
                    l,
                )
            },
        },
        Contender {
            name: "momentum 0.5→0.9 (annealed)",
            colour: GREEN,
            train: |tr, te, s, e, l| {
                // γ rises from 0.5 to 0.9 over the first 10 epochs (44 steps each).
                let opt = Momentum::new(0.01, 0.9).and_then(|m| m.annealed(0.5, 440));
                run(opt, tr, te, s, e, l)
            },
        },
        Contender {
            name: "RMSprop, lr 0.001",
            colour: PURPLE,
            train: |tr, te, s, e, l| run(RmsProp::new(1e-3), tr, te, s, e, l),
        },
        Contender {
            name: "Adagrad, lr 0.01",
            colour: BROWN,
            train: |tr, te, s, e, l| run(Adagrad::new(1e-2), tr, te, s, e, l),
        },
        Contender {
            name: "Adam, lr 0.001",
            colour: RED,
            train: |tr, te, s, e, l| run(Adam::new(1e-3), tr, te, s, e, l),
        },
        Contender {
            name: "AdamW, lr 0.001, λ 0.01",
            colour: ORANGE,
            train: |tr, te, s, e, l| run(AdamW::new(1e-3), tr, te, s, e, l),
        },
    ]
}

/// Part 1: the digits network with every optimizer.
fn digits_comparison(out: &Path, seeds: u64, epochs: usize) -> Drawn {
    let (train, test) = digits::load("data/digits.csv")?;
    let mut curves = Vec::new();
    println!("digits, 64 → 128 relu → 10, batch 32, {epochs} epochs, seeds 1–{seeds}");
    println!(
        "{:<26} {:>14} {:>16} {:>14}",
        "optimizer", "final loss", "test accuracy", "range"
    );
    for contender in contenders() {
        let mut mean_losses = vec![0.0f64; epochs];
        let spread = Spread::over_seeds(seeds, |seed| {
            let mut losses = Vec::new();
            let run = (contender.train)(&train, &test, seed, epochs, &mut losses);
            for (mean, loss) in mean_losses.iter_mut().zip(&losses) {
                *mean += f64::from(*loss) / seeds as f64;
            }
            Ok(run.test_accuracy)
        })?;
        println!(
            "{:<26} {:>14.4} {:>15.1}% {:>6.1}–{:.1}%",
            contender.name,
            mean_losses[epochs - 1],
            100.0 * spread.mean,
            100.0 * spread.min,
            100.0 * spread.max
        );
        curves.push((contender, mean_losses));
    }
    let path = out.join("optimizers-digits.png");
    let root = plot::canvas(&path, (900, 560))?;
    let (bottom, top) = plot::log_range(curves.iter().flat_map(|(_, l)| l.iter().copied()));
    let caption = format!("Digits: mean training loss per epoch (seeds 1–{seeds})");
    let axes = EpochAxes {
        caption: &caption,
        caption_size: 24,
        last: epochs,
        whole_epochs: false,
        y_desc: "training loss (log scale)",
        y_labels: None,
    };
    let mut chart = axes.draw(&root, (bottom / 1.5..top * 1.5).log_scale())?;
    for (contender, losses) in &curves {
        let points = losses.iter().enumerate().map(|(i, &l)| (i as f64 + 1.0, l));
        plot::line(
            &mut chart,
            points,
            contender.colour.stroke_width(2),
            contender.name,
        )?;
    }
    plot::legend(&mut chart, SeriesLabelPosition::MiddleRight, 15, 0.9)?;
    root.present()?;
    println!("wrote {}", path.display());
    Ok(())
}

/// A 2-D test function with its gradient, where to start, and the view to draw.
struct Surface {
    name: &'static str,
    file: &'static str,
    f: fn(f64, f64) -> f64,
    grad: fn(f64, f64) -> [f64; 2],
    start: [f64; 2],
    minimum: [f64; 2],
    x: (f64, f64),
    y: (f64, f64),
    steps: usize,
    legend: SeriesLabelPosition,
}

fn rosenbrock(x: f64, y: f64) -> f64 {
    (1.0 - x).powi(2) + 100.0 * (y - x * x).powi(2)
}

fn rosenbrock_grad(x: f64, y: f64) -> [f64; 2] {
    [
        -2.0 * (1.0 - x) - 400.0 * x * (y - x * x),
        200.0 * (y - x * x),
    ]
}

fn beale(x: f64, y: f64) -> f64 {
    (1.5 - x + x * y).powi(2) + (2.25 - x + x * y * y).powi(2) + (2.625 - x + x * y.powi(3)).powi(2)
}

fn beale_grad(x: f64, y: f64) -> [f64; 2] {
    let (a, b, c) = (
        1.5 - x + x * y,
        2.25 - x + x * y * y,
        2.625 - x + x * y.powi(3),
    );
    [
        2.0 * a * (y - 1.0) + 2.0 * b * (y * y - 1.0) + 2.0 * c * (y.powi(3) - 1.0),
        2.0 * a * x + 2.0 * b * 2.0 * x * y + 2.0 * c * 3.0 * x * y * y,
    ]
}

/// A valley 50 times steeper across (y) than along (x).
fn valley(x: f64, y: f64) -> f64 {
    0.5 * (x * x + 50.0 * y * y)
}

fn valley_grad(x: f64, y: f64) -> [f64; 2] {
    [x, 50.0 * y]
}

fn surfaces() -> [Surface; 3] {
    [
        Surface {
            name: "Rosenbrock (1 − x)² + 100(y − x²)², from (−1.5, 2)",
            file: "optimizers-rosenbrock.png",
            f: rosenbrock,
            grad: rosenbrock_grad,
            start: [-1.5, 2.0],
            minimum: [1.0, 1.0],
            x: (-2.0, 2.0),
            y: (-1.0, 3.0),
            steps: 5000,
            legend: SeriesLabelPosition::LowerRight,
        },
        Surface {
            name: "Beale, from (1, 1.5); minimum at (3, 0.5)",
            file: "optimizers-beale.png",
            f: beale,
            grad: beale_grad,
            start: [1.0, 1.5],
            minimum: [3.0, 0.5],
            x: (-1.0, 4.0),
            y: (-1.5, 2.0),
            steps: 2000,
            legend: SeriesLabelPosition::UpperRight,
        },
        Surface {
            name: "Narrow valley ½(x² + 50y²), from (−4.5, 0.4)",
            file: "optimizers-valley.png",
            f: valley,
            grad: valley_grad,
            start: [-4.5, 0.4],
            minimum: [0.0, 0.0],
            x: (-5.0, 1.0),
            y: (-0.6, 0.6),
            steps: 80,
            legend: SeriesLabelPosition::LowerLeft,
        },
    ]
}

/// The points an optimizer visits from `surface.start`.
fn path<O: Optimizer<f64>>(
    optimizer: Result<O, InvalidHyperParameter>,
    surface: &Surface,
) -> Vec<(f64, f64)> {
    let mut optimizer = optimizer.expect("the hyper-parameters are valid");
    let mut p = surface.start;
    let mut state = Flat::zeroed();
    let mut points = vec![(p[0], p[1])];
    for _ in 0..surface.steps {
        let g = (surface.grad)(p[0], p[1]);
        optimizer.step(&mut p, &g, &mut state);
        if !(p[0].is_finite() && p[1].is_finite()) {
            break;
        }
        points.push((p[0], p[1]));
    }
    points
}

/// L-BFGS's path: each point is where one iteration ended (a strong-Wolfe line search may
/// evaluate the function several times in between). It runs until the gradient vanishes.
fn lbfgs_path(surface: &Surface) -> Vec<(f64, f64)> {
    let mut lbfgs = Lbfgs::<f64, 10>::new(1.0)
        .expect("the hyper-parameters are valid")
        .with_line_search(LineSearch::StrongWolfe)
        .with_max_iter(1)
        .and_then(|l| l.with_max_eval(25))
        // One iteration a step, so that each is drawn; PyTorch's default evaluation budget
        // for max_iter = 1 (1·5/4 = 1) would leave the line search no evaluation.
        .expect("valid limits");
    let mut state = LbfgsState::<[f64; 2], 10, f64>::zeroed();
    let mut p = surface.start;
    let mut points = vec![(p[0], p[1])];
    for _ in 0..surface.steps {
        let report = lbfgs.step(&mut p, &mut state, |q, g| {
            *g = (surface.grad)(q[0], q[1]);
            Ok((surface.f)(q[0], q[1]))
        });
        let moved = points.last() != Some(&(p[0], p[1]));
        match report {
            Ok(r) if r.iterations > 0 && moved => points.push((p[0], p[1])),
            _ => break,
        }
    }
    points
}

/// One optimizer's path on a surface, as drawn.
struct Trace {
    name: &'static str,
    colour: RGBColor,
    points: Vec<(f64, f64)>,
}

/// Each optimizer's path on a surface, with rates chosen per surface so that each converges
/// or shows its typical behaviour within the steps drawn.
fn paths(surface: &Surface) -> Vec<Trace> {
    let valley = surface.file.contains("valley");
    let rosenbrock = surface.file.contains("rosenbrock");
    // SGD just below its stability limit 2/λ_max; momentum 0.9 at a tenth of that step.
    let (sgd_lr, momentum_lr) = match (valley, rosenbrock) {
        (true, _) => (0.038, 0.0038),
        (_, true) => (5e-4, 2e-4),
        _ => (1e-2, 1e-3),
    };
    let adam_lr = if valley { 0.3 } else { 0.02 };
    let (rms_lr, adagrad_lr) = if valley { (0.1, 1.0) } else { (0.01, 0.5) };
    vec![
        Trace {
            name: "SGD",
            colour: GREY,
            points: path(Sgd::new(sgd_lr), surface),
        },
        Trace {
            name: "momentum 0.9",
            colour: BLUE,
            points: path(Momentum::new(momentum_lr, 0.9), surface),
        },
        Trace {
            name: "Nesterov 0.9",
            colour: CYAN,
            points: path(
                Momentum::new(momentum_lr, 0.9).and_then(Momentum::nesterov),
                surface,
            ),
        },
        Trace {
            name: "RMSprop",
            colour: PURPLE,
            points: path(RmsProp::new(rms_lr), surface),
        },
        Trace {
            name: "Adagrad",
            colour: BROWN,
            points: path(Adagrad::new(adagrad_lr), surface),
        },
        Trace {
            name: "L-BFGS",
            colour: RGBColor(0, 0, 0),
            points: lbfgs_path(surface),
        },
        Trace {
            name: "Adam",
            colour: RED,
            points: path(Adam::new(adam_lr), surface),
        },
    ]
}

/// Part 2: paths on the test surfaces, over a shaded map of log f.
fn surface_plots(out: &Path) -> Drawn {
    for surface in surfaces() {
        let path = out.join(surface.file);
        let root = plot::canvas(&path, (820, 720))?;
        draw_surface(&root, &surface)?;
        root.present()?;
        println!("wrote {}", path.display());
    }
    Ok(())
}

fn draw_surface(root: &Canvas<'_>, surface: &Surface) -> Drawn {
    let mut chart = ChartBuilder::on(root)
        .caption(surface.name, (plot::SANS, 20))
        .margin(15)
        .x_label_area_size(35)
        .y_label_area_size(50)
        .build_cartesian_2d(surface.x.0..surface.x.1, surface.y.0..surface.y.1)?;
    chart
        .configure_mesh()
        .disable_mesh()
        .label_style((plot::SANS, 14))
        .draw()?;
    // The shading: log(1 + f) on a grid, light for low values.
    let cells = 160;
    let (dx, dy) = (
        (surface.x.1 - surface.x.0) / cells as f64,
        (surface.y.1 - surface.y.0) / cells as f64,
    );
    let level = |x: f64, y: f64| (1.0 + (surface.f)(x, y)).ln();
    let mut top = 0.0f64;
    for i in 0..cells {
        for j in 0..cells {
            top = top.max(level(
                surface.x.0 + (i as f64 + 0.5) * dx,
                surface.y.0 + (j as f64 + 0.5) * dy,
            ));
        }
    }
    chart.draw_series(
        (0..cells)
            .flat_map(|i| (0..cells).map(move |j| (i, j)))
            .map(|(i, j)| {
                let (x, y) = (surface.x.0 + i as f64 * dx, surface.y.0 + j as f64 * dy);
                let t = level(x + dx / 2.0, y + dy / 2.0) / top;
                let shade = (255.0 - 120.0 * t) as u8;
                let band = ((t * 12.0).fract() < 0.06) as u8 * 25; // contour-like bands
                Rectangle::new(
                    [(x, y), (x + dx, y + dy)],
                    RGBColor(shade - band, shade - band, 255 - band).filled(),
                )
            }),
    )?;
    println!("{}", surface.name);
    // Earlier paths are drawn wider, so that a path that follows another stays visible.
    for (i, trace) in paths(surface).into_iter().enumerate() {
        let Trace {
            name,
            colour,
            points,
        } = trace;
        let width = 6u32.saturating_sub(i as u32).max(2);
        let &(x, y) = points.last().unwrap_or(&(f64::NAN, f64::NAN));
        let reached = points
            .iter()
            .position(|&(x, y)| (surface.f)(x, y) < 1e-3)
            .map_or_else(|| "never".to_string(), |i| format!("at step {i}"));
        println!(
            "  {name:<14} ends at ({x:>8.4}, {y:>8.4}) after {:>5} steps, f = {:<10.3e} f < 1e-3: {reached}",
            points.len() - 1,
            (surface.f)(x, y)
        );
        let inside = points.into_iter().filter(|(x, y)| {
            (surface.x.0..=surface.x.1).contains(x) && (surface.y.0..=surface.y.1).contains(y)
        });
        plot::line(&mut chart, inside, colour.stroke_width(width), name)?;
    }
    let [mx, my] = surface.minimum;
    chart.draw_series(std::iter::once(Cross::new(
        (mx, my),
        8,
        BLACK.stroke_width(2),
    )))?;
    let [sx, sy] = surface.start;
    chart.draw_series(std::iter::once(Circle::new((sx, sy), 6, BLACK.filled())))?;
    plot::legend(&mut chart, surface.legend.clone(), 15, 0.85)?;
    Ok(())
}

/// The rates a schedule gives over `epochs` epochs, starting from its initial one.
fn rates<S: Schedule<f64>>(mut schedule: S, epochs: usize) -> Vec<f64> {
    let mut rates = vec![schedule.lr()];
    for _ in 0..epochs {
        schedule.step();
        rates.push(schedule.lr());
    }
    rates
}

/// Part 3: every learning-rate schedule over 30 epochs from η0 = 0.1.
fn schedule_plot(out: &Path) -> Drawn {
    let epochs = 30;
    let eta = 0.1;
    // A scripted validation loss: it improves for 8 epochs, then stalls with noise.
    let losses: Vec<f64> = (0..epochs)
        .map(|e| {
            if e < 8 {
                1.0 - 0.1 * e as f64
            } else {
                0.3 + 0.01 * (e % 3) as f64
            }
        })
        .collect();
    let mut plateau = ReduceOnPlateau::new(eta)?
        .with_factor(0.5)?
        .with_patience(3);
    let mut plateau_rates = vec![plateau.lr()];
    for &loss in &losses {
        plateau.step_with(loss);
        plateau_rates.push(plateau.lr());
    }
    let curves: Vec<(&str, RGBColor, Vec<f64>)> = vec![
        ("constant", GREY, rates(Constant::new(eta)?, epochs)),
        (
            "step ×0.5 every 10",
            BLUE,
            rates(StepDecay::new(eta, 10, 0.5)?, epochs),
        ),
        (
            "inverse η0/(1 + 0.2t)",
            GREEN,
            rates(InverseDecay::new(eta, 0.2)?, epochs),
        ),
        (
            "exponential η0·e^(−0.1t)",
            RED,
            rates(ExponentialDecay::new(eta, 0.1)?, epochs),
        ),
        (
            "warm-up 5, then cosine to 0",
            PURPLE,
            rates(
                LinearWarmup::new(eta, 0.1, 5)?.then(5, CosineAnnealing::new(eta, 25, 0.0)?),
                epochs,
            ),
        ),
        ("on plateau ×0.5, patience 3", ORANGE, plateau_rates),
    ];
    let path = out.join("optimizers-schedules.png");
    let root = plot::canvas(&path, (900, 520))?;
    let mut chart = ChartBuilder::on(&root)
        .caption(
            "Learning-rate schedules, η0 = 0.1, stepped per epoch",
            (plot::SANS, 24),
        )
        .margin(15)
        .x_label_area_size(40)
        .y_label_area_size(60)
        .build_cartesian_2d(0f64..epochs as f64, 0f64..0.105)?;
    chart
        .configure_mesh()
        .x_desc("epoch")
        .y_desc("learning rate")
        .label_style((plot::SANS, 14))
        .draw()?;
    for (name, colour, rates) in curves {
        let points = rates.into_iter().enumerate().map(|(e, r)| (e as f64, r));
        plot::line(&mut chart, points, colour.stroke_width(2), name)?;
    }
    plot::legend(&mut chart, SeriesLabelPosition::UpperRight, 15, 0.9)?;
    root.present()?;
    println!("wrote {}", path.display());
    Ok(())
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let flags = Flags::parse(&["--out", "--seeds", "--epochs"], &[])?;
    let out: PathBuf = flags.value("--out", PathBuf::from("docs/plots"))?;
    let seeds: u64 = flags.value("--seeds", 3)?;
    let epochs: usize = flags.value("--epochs", 30)?;
    std::fs::create_dir_all(&out)?;
    digits_comparison(&out, seeds.max(1), epochs.max(1))?;
    surface_plots(&out)?;
    schedule_plot(&out)?;
    Ok(())
}
