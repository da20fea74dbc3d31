//! The strong-Wolfe line search of PyTorch's `_strong_wolfe`, with its cubic interpolation.

use crate::error::Error;
use crate::scalar::Scalar;

/// The Wolfe constants PyTorch's `_strong_wolfe` uses: sufficient decrease and curvature.
pub(super) const C1: f64 = 1e-4;
pub(super) const C2: f64 = 0.9;

/// Where the gradient at a trial point is: in `previous_grad` for the start of the line,
/// else in one of the three scratch blocks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Slot {
    Start,
    Scratch(usize),
}

/// A point tried along the line: its step length t, loss f and slope g·d.
#[derive(Clone, Copy, Debug)]
pub(super) struct Trial {
    pub(super) t: f64,
    pub(super) f: f64,
    pub(super) gtd: f64,
    pub(super) grad: Slot,
}

/// What a line search needs besides the function.
pub(super) struct Wolfe {
    pub(super) c1: f64,
    pub(super) c2: f64,
    pub(super) tolerance_change: f64,
    /// The evaluations the search may make after its first (PyTorch's `max_ls`: the step's
    /// budget left, so that the first trial may take the step one past `max_eval`).
    pub(super) budget: usize,
    /// max |d|, to turn a bracket's length into a largest move.
    pub(super) d_norm: f64,
}

/// The scratch block used by neither `a` nor `b`.
fn free_slot(a: Slot, b: Slot) -> usize {
    (0..3)
        .find(|&i| Slot::Scratch(i) != a && Slot::Scratch(i) != b)
        .unwrap_or(0)
}

/// PyTorch's `_strong_wolfe`: from `start` (t = 0, with the loss and slope there), tries
/// step `t` and looks for a step satisfying the strong Wolfe conditions, first by bracketing
/// one (extrapolating while the slope stays negative and the loss decreases enough), then
/// by zooming in on the bracket. `probe(t, slot)` returns the loss and slope at step `t`,
/// writing the gradient into scratch block `slot`. Returns the point settled on (the best
/// found, when the budget or the bracket runs out first) and the evaluations it made.
pub(super) fn strong_wolfe(
    probe: &mut impl FnMut(f64, usize) -> Result<(f64, f64), Error>,
    start: Trial,
    t: f64,
    rules: &Wolfe,
) -> Result<(Trial, usize), Error> {
    let (f, gtd) = (start.f, start.gtd);
    // f + c₁·t·(g·d), as PyTorch groups it.
    let sufficient = |t: f64| f + rules.c1 * t * gtd;
    let curvature = -rules.c2 * gtd;
    let mut try_step = |t: f64, slot: usize| -> Result<Trial, Error> {
        let (f, gtd) = probe(t, slot)?;
        let grad = Slot::Scratch(slot);
        Ok(Trial { t, f, gtd, grad })
    };

    // Bracketing: an interval that contains a point satisfying the conditions, or the
    // point itself.
    let mut new = try_step(t, 0)?;
    let mut evals = 1;
    let mut previous = start;
    let mut searched = 0; // PyTorch's `ls_iter`
    let mut done = false;
    let mut bracket = None;
    while searched < rules.budget {
        if new.f > sufficient(new.t) || (searched > 1 && new.f >= previous.f) {
            bracket = Some([previous, new]);
            break;
        }
        if new.gtd.abs() <= curvature {
            bracket = Some([new, new]);
            done = true;
            break;
        }
        if new.gtd >= 0.0 {
            bracket = Some([previous, new]);
            break;
        }
        // Still going down steeply: extrapolate, between 1.01 and 10 times as far.
        let min_step = new.t + 0.01 * (new.t - previous.t);
        let max_step = new.t * 10.0;
        let t = cubic_interpolate(previous, new, Some((min_step, max_step)));
        previous = new;
        new = try_step(t, free_slot(previous.grad, Slot::Start))?;
        evals += 1;
        searched += 1;
    }
    // Out of evaluations: the start and the last point tried.
    let mut bracket = bracket.unwrap_or([start, new]);

    // Zoom: shrink the bracket until a point satisfies the conditions.
    let mut insufficient_progress = false;
    let order = |b: &[Trial; 2]| if b[0].f <= b[1].f { (0, 1) } else { (1, 0) };
    let (mut low, mut high) = order(&bracket);
    while !done && searched < rules.budget {
        if (bracket[1].t - bracket[0].t).abs() * rules.d_norm < rules.tolerance_change {
            break; // the bracket is too small to matter
        }
        let mut t = cubic_interpolate(bracket[0], bracket[1], None);
        // A trial close to an end of the bracket makes little progress: the second time in
        // a row (or when it is at or past the end), move it to 10% of the bracket inside.
        let (lo, hi) = (
            py_min(bracket[0].t, bracket[1].t),
            py_max(bracket[0].t, bracket[1].t),
        );
        let eps = 0.1 * (hi - lo);
        if py_min(hi - t, t - lo) < eps {
            if insufficient_progress || t >= hi || t <= lo {
                t = if (t - hi).abs() < (t - lo).abs() {
                    hi - eps
                } else {
                    lo + eps
                };
                insufficient_progress = false;
            } else {
                insufficient_progress = true;
            }
        } else {
            insufficient_progress = false;
        }
        let new = try_step(t, free_slot(bracket[0].grad, bracket[1].grad))?;
        evals += 1;
        searched += 1;
        if new.f > sufficient(t) || new.f >= bracket[low].f {
            // Not low enough: the new point is the bracket's high end.
            bracket[high] = new;
            (low, high) = order(&bracket);
        } else {
            if new.gtd.abs() <= curvature {
                done = true;
            } else if new.gtd * (bracket[high].t - bracket[low].t) >= 0.0 {
                // The minimum lies between the new point and the low end.
                bracket[high] = bracket[low];
            }
            bracket[low] = new;
        }
    }
    Ok((bracket[low], evals))
}

/// PyTorch's `_cubic_interpolate`: the minimizer of the cubic through two points with
/// their values and slopes, clamped to `bounds` (by default, the interval between the two
/// points); the middle of the bounds when the cubic has no minimum.
pub(super) fn cubic_interpolate(a: Trial, b: Trial, bounds: Option<(f64, f64)>) -> f64 {
    let (x1, f1, g1, x2, f2, g2) = (a.t, a.f, a.gtd, b.t, b.f, b.gtd);
    let (lo, hi) = bounds.unwrap_or(if x1 <= x2 { (x1, x2) } else { (x2, x1) });
    let d1 = g1 + g2 - 3.0 * (f1 - f2) / (x1 - x2);
    let d2_square = d1 * d1 - g1 * g2;
    if d2_square >= 0.0 {
        let d2 = <f64 as Scalar>::sqrt(d2_square);
        let min_pos = if x1 <= x2 {
            x2 - (x2 - x1) * ((g2 + d2 - d1) / (g2 - g1 + 2.0 * d2))
        } else {
            x1 - (x1 - x2) * ((g1 + d2 - d1) / (g1 - g2 + 2.0 * d2))
        };
        py_min(py_max(min_pos, lo), hi)
    } else {
        (lo + hi) / 2.0
    }
}

/// Python's `min(a, b)`: `a` unless `b < a`.
fn py_min(a: f64, b: f64) -> f64 {
    if b < a {
        b
    } else {
        a
    }
}

/// Python's `max(a, b)`: `a` unless `b > a`.
fn py_max(a: f64, b: f64) -> f64 {
    if b > a {
        b
    } else {
        a
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::assert_near;
    use super::*;
    use std::vec::Vec;

    /// A polynomial Σ cₖtᵏ and its derivative, by Horner's rule.
    fn polynomial(c: &[f64], t: f64) -> (f64, f64) {
        let f = c.iter().rev().fold(0.0, |f, &c| f * t + c);
        let derivative: Vec<f64> = (1..c.len()).map(|k| k as f64 * c[k]).collect();
        let g = derivative.iter().rev().fold(0.0, |g, &c| g * t + c);
        (f, g)
    }

    /// Runs the line search on φ(t) = `c`(t) from step `t`: the point settled on and the
    /// evaluations.
    fn search(c: &[f64], t: f64, budget: usize, tolerance_change: f64) -> (Trial, usize) {
        let (f, gtd) = polynomial(c, 0.0);
        let start = Trial {
            t: 0.0,
            f,
            gtd,
            grad: Slot::Start,
        };
        let rules = Wolfe {
            c1: C1,
            c2: C2,
            tolerance_change,
            budget,
            d_norm: 1.0,
        };
        strong_wolfe(&mut |t, _| Ok(polynomial(c, t)), start, t, &rules).unwrap()
    }

    #[test]
    fn the_line_search_finds_strong_wolfe_points_as_pytorch() {
        // The polynomials φ, by their coefficients from t⁰ up.
        const CUBIC: &[f64] = &[0.0, -0.5, 0.0, 0.25];
        const CUBIC_2: &[f64] = &[0.0, -0.5, -2.0, 2.0];
        const CUBIC_3: &[f64] = &[0.0, -0.5, -2.0, 0.25];
        const QUARTIC: &[f64] = &[0.0, -1.0, 1.0, -3.0, 0.5];
        const QUARTIC_2: &[f64] = &[0.0, -0.5, 0.5, -3.0, 0.25];
        const QUARTIC_3: &[f64] = &[0.0, -0.5, 3.0, 3.0, 0.5];
        // torch 2.15's `_strong_wolfe(obj_func, x=[0], t, d=[1], f, g, gtd,
        // tolerance_change, max_ls)` on polynomials, φ and φ' by Horner's rule as here; in
        // all, these cases take every branch of the search. Each case: φ's coefficients, the
        // first t, max_ls, tolerance_change; then what torch returned: t, φ(t), evaluations.
        type Case = (&'static [f64], f64, usize, f64, f64, f64, usize);
        #[rustfmt::skip]
        let cases: [Case; 8] = [
            // extrapolates, then the Wolfe conditions hold
            (CUBIC, 0.01, 25, 1e-9, 0.8164965809277165, -0.2721655269759087, 3),
            // bracketed by the sufficient-decrease test, zooms once
            (CUBIC, 10.0, 25, 1e-9, 0.8164965809277245, -0.2721655269759087, 2),
            // bracketed by a positive slope
            (CUBIC_2, 1.0, 25, 1e-9, 0.7742918851774317, -0.6577825773602247, 2),
            // a cubic without a minimum (the midpoint), the high end replaced
            (QUARTIC, 0.01, 25, 1e-9, 4.301720477572395, -53.39054639408632, 9),
            // the high end becomes the low end
            (QUARTIC, 1.0, 25, 1e-9, 4.301953640608087, -53.390483592586776, 4),
            // insufficient progress twice: the trial moves away from the bracket's end
            (QUARTIC_2, 0.1, 25, 1e-9, 8.89308868006674, -511.1974143122863, 9),
            // the bracket gets shorter than tolerance_change: settles on the start
            (QUARTIC_3, 10.0, 25, 0.5, 0.0, 0.0, 3),
            // out of evaluations while extrapolating
            (CUBIC_3, 0.01, 3, 1e-9, 5.455533421780251, -21.660407751367647, 4),
        ];
        for (i, &(c, t, budget, tolerance, expected_t, expected_f, evals)) in
            cases.iter().enumerate()
        {
            let (found, n) = search(c, t, budget, tolerance);
            assert_near(&[found.t, found.f], &[expected_t, expected_f], 1e-13);
            assert_eq!(n, evals, "case {i}");
            let (f0, g0) = polynomial(c, 0.0);
            if i < 6 {
                // Both strong Wolfe conditions, at the point and slope returned.
                assert!(
                    found.f <= f0 + C1 * found.t * g0,
                    "case {i}: sufficient decrease"
                );
                assert!(found.gtd.abs() <= C2 * g0.abs(), "case {i}: curvature");
                assert_eq!(polynomial(c, found.t), (found.f, found.gtd), "case {i}");
            }
        }
    }

    #[test]
    fn the_line_search_keeps_the_gradients_it_returns() {
        // The gradient blocks of the bracket and of the next trial are always distinct.
        let c = [0.0, -0.5, 0.5, -3.0, 0.25];
        let (f, gtd) = polynomial(&c, 0.0);
        let start = Trial {
            t: 0.0,
            f,
            gtd,
            grad: Slot::Start,
        };
        let rules = Wolfe {
            c1: C1,
            c2: C2,
            tolerance_change: 1e-9,
            budget: 25,
            d_norm: 1.0,
        };
        // Each scratch block remembers the t it was last evaluated at.
        let mut written = [f64::NAN; 3];
        let (found, _) = strong_wolfe(
            &mut |t, slot| {
                written[slot] = t;
                Ok(polynomial(&c, t))
            },
            start,
            0.1,
            &rules,
        )
        .unwrap();
        let Slot::Scratch(slot) = found.grad else {
            panic!("the search settled on its start")
        };
        assert_eq!(written[slot], found.t);
    }

    #[test]
    fn cubic_interpolation_is_exact_for_a_quadratic() {
        // φ(t) = (t − 3)²: from t = 0 and t = 1 the cubic is φ itself, minimized at 3.
        let at = |t: f64| Trial {
            t,
            f: (t - 3.0) * (t - 3.0),
            gtd: 2.0 * (t - 3.0),
            grad: Slot::Start,
        };
        assert_eq!(cubic_interpolate(at(0.0), at(1.0), Some((0.0, 10.0))), 3.0);
        assert_eq!(cubic_interpolate(at(1.0), at(0.0), Some((0.0, 10.0))), 3.0);
        // Clamped to the bounds, by default the two points.
        assert_eq!(cubic_interpolate(at(0.0), at(1.0), None), 1.0);
        assert_eq!(cubic_interpolate(at(0.0), at(1.0), Some((1.01, 2.0))), 2.0);
    }
}
