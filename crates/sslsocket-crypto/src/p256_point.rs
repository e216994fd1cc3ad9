//! Points of the NIST P-256 curve (y^2 = x^3 - 3x + b) over our field (`p256_field.rs`), for
//! our ECDSA verification and signing: affine points, Jacobian points (X/Z^2, Y/Z^3, Z = 0 the
//! point at infinity) with the Explicit-Formulas Database's formulas for a = -3 (doubling
//! `dbl-2001-b`, addition `add-2007-bl`, mixed addition `madd-2007-bl`), and conversion of many
//! points to affine form with one inversion (Montgomery's trick).
//!
//! The formulas themselves have no branch. Where they divide by zero (P + P, P + -P, the point
//! at infinity), [`Jacobian::add`] and [`Jacobian::add_affine`] branch to the right answer:
//! those two are for public points only (verification, building tables of public multiples).
//! Signing uses [`Jacobian::add_affine_unchecked`], whose callers rule those cases out.

use crate::p256_field::Fe;

/// The base point (FIPS 186-5 / SEC 2), limbs least significant first.
pub(crate) const G: Affine = Affine {
    x: Fe::from_words([
        0xd898_c296,
        0xf4a1_3945,
        0x2deb_33a0,
        0x7703_7d81,
        0x63a4_40f2,
        0xf8bc_e6e5,
        0xe12c_4247,
        0x6b17_d1f2,
    ]),
    y: Fe::from_words([
        0x37bf_51f5,
        0xcbb6_4068,
        0x6b31_5ece,
        0x2bce_3357,
        0x7c0f_9e16,
        0x8ee7_eb4a,
        0xfe1a_7f9b,
        0x4fe3_42e2,
    ]),
};

/// A point in affine coordinates, never the point at infinity.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Affine {
    pub(crate) x: Fe,
    pub(crate) y: Fe,
}

impl Affine {
    /// -P.
    pub(crate) fn negate(&self) -> Self {
        Self {
            x: self.x,
            y: self.y.negate(),
        }
    }
}

/// A point in Jacobian coordinates: (X/Z^2, Y/Z^3), the point at infinity when Z = 0.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Jacobian {
    pub(crate) x: Fe,
    pub(crate) y: Fe,
    pub(crate) z: Fe,
}

impl From<&Affine> for Jacobian {
    fn from(point: &Affine) -> Self {
        Self {
            x: point.x,
            y: point.y,
            z: Fe::ONE,
        }
    }
}

impl Jacobian {
    pub(crate) const INFINITY: Self = Self {
        x: Fe::ONE,
        y: Fe::ONE,
        z: Fe::ZERO,
    };

    pub(crate) fn is_infinity(&self) -> bool {
        self.z.is_zero()
    }

    /// -P.
    pub(crate) fn negate(&self) -> Self {
        Self {
            y: self.y.negate(),
            ..*self
        }
    }

    /// `if mask == u32::MAX { b } else { a }`, without a branch.
    pub(crate) fn select(a: &Self, b: &Self, mask: u32) -> Self {
        Self {
            x: Fe::select(&a.x, &b.x, mask),
            y: Fe::select(&a.y, &b.y, mask),
            z: Fe::select(&a.z, &b.z, mask),
        }
    }

    /// 2P (`dbl-2001-b`: 3M + 5S). The point at infinity (Z = 0) stays there.
    pub(crate) fn double(&self) -> Self {
        let delta = self.z.square();
        let gamma = self.y.square();
        let beta = self.x.mul(&gamma);
        let alpha = self.x.sub(&delta).mul(&self.x.add(&delta));
        let alpha = alpha.double().add(&alpha);
        let beta4 = beta.double().double();
        let x = alpha.square().sub(&beta4.double());
        let z = self.y.add(&self.z).square().sub(&gamma).sub(&delta);
        let y = alpha
            .mul(&beta4.sub(&x))
            .sub(&gamma.square().double().double().double());
        Self { x, y, z }
    }

    /// P + Q (`add-2007-bl`: 11M + 5S), any two points. Branches on the points: public points
    /// only.
    pub(crate) fn add(&self, other: &Self) -> Self {
        if self.is_infinity() {
            return *other;
        }
        if other.is_infinity() {
            return *self;
        }
        let z1z1 = self.z.square();
        let z2z2 = other.z.square();
        let u1 = self.x.mul(&z2z2);
        let u2 = other.x.mul(&z1z1);
        let s1 = self.y.mul(&other.z).mul(&z2z2);
        let s2 = other.y.mul(&self.z).mul(&z1z1);
        let h = u2.sub(&u1);
        let r = s2.sub(&s1).double();
        if h.is_zero() {
            return if r.is_zero() {
                self.double()
            } else {
                Self::INFINITY
            };
        }
        let i = h.double().square();
        let j = h.mul(&i);
        let v = u1.mul(&i);
        let x = r.square().sub(&j).sub(&v.double());
        let y = r.mul(&v.sub(&x)).sub(&s1.mul(&j).double());
        let z = self.z.add(&other.z).square().sub(&z1z1).sub(&z2z2).mul(&h);
        Self { x, y, z }
    }

    /// P + Q with Q affine, any two points. Branches on the points: public points only.
    pub(crate) fn add_affine(&self, other: &Affine) -> Self {
        if self.is_infinity() {
            return Self::from(other);
        }
        let sum = self.add_affine_unchecked(other);
        if !sum.z.is_zero() {
            return sum;
        }
        // Z3 = Z1·H is 0: H = 0, so P = Q or P = -Q.
        let z1z1 = self.z.square();
        let s2 = other.y.mul(&self.z).mul(&z1z1);
        if s2 == self.y {
            Self::from(other).double()
        } else {
            Self::INFINITY
        }
    }

    /// P + Q with Q affine (`madd-2007-bl`: 7M + 4S), no branch: right when P is not the
    /// point at infinity and P ≠ ±Q (the caller's to ensure), and Z = 0 when P = ±Q.
    pub(crate) fn add_affine_unchecked(&self, other: &Affine) -> Self {
        let z1z1 = self.z.square();
        let u2 = other.x.mul(&z1z1);
        let s2 = other.y.mul(&self.z).mul(&z1z1);
        let h = u2.sub(&self.x);
        let r = s2.sub(&self.y).double();
        let hh = h.square();
        let i = hh.double().double();
        let j = h.mul(&i);
        let v = self.x.mul(&i);
        let x = r.square().sub(&j).sub(&v.double());
        let y = r.mul(&v.sub(&x)).sub(&self.y.mul(&j).double());
        let z = self.z.add(&h).square().sub(&z1z1).sub(&hh);
        Self { x, y, z }
    }

    /// The affine form; `None` for the point at infinity.
    pub(crate) fn to_affine(self) -> Option<Affine> {
        if self.is_infinity() {
            return None;
        }
        Some(self.affine_with(&self.z.invert()))
    }

    /// The affine form, given 1/Z.
    fn affine_with(&self, z_inv: &Fe) -> Affine {
        let z_inv2 = z_inv.square();
        Affine {
            x: self.x.mul(&z_inv2),
            y: self.y.mul(&z_inv2.mul(z_inv)),
        }
    }
}

/// first, first + step, first + 2·step, .. (`count` points), for public points (tables of
/// multiples).
pub(crate) fn progression(first: Jacobian, step: &Jacobian, count: usize) -> Vec<Jacobian> {
    std::iter::successors(Some(first), |previous| Some(previous.add(step)))
        .take(count)
        .collect()
}

/// The affine forms of points none of which is at infinity, with one inversion (Montgomery's
/// trick).
pub(crate) fn batch_to_affine(points: &[Jacobian]) -> Vec<Affine> {
    // prefix[i] = z_0 · .. · z_(i-1)
    let mut prefix = Vec::with_capacity(points.len());
    let mut product = Fe::ONE;
    for point in points {
        prefix.push(product);
        product = product.mul(&point.z);
    }
    let mut inverse = product.invert();
    let mut affine = vec![
        Affine {
            x: Fe::ZERO,
            y: Fe::ZERO,
        };
        points.len()
    ];
    for ((out, point), before) in affine.iter_mut().zip(points).zip(&prefix).rev() {
        // inverse = 1 / (z_0 · .. · z_i) here.
        *out = point.affine_with(&inverse.mul(before));
        inverse = inverse.mul(&point.z);
    }
    affine
}
