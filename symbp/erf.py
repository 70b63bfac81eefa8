"""erf(x) over NumPy arrays without SciPy, for formulas (GELU) in numbers and in generated code.

W. J. Cody's rational Chebyshev approximations ("Rational Chebyshev approximations
for the error function", Math. Comp. 23 (1969) 631-637; the coefficients of his
CALERF, netlib specfun): erf on |x| <= 0.46875, erfc on 0.46875 < |x| <= 4 and,
through an asymptotic form, beyond 4; about 1e-16 relative error in float64.
exp(-y^2) is taken as exp(-s^2) exp(-(y - s)(y + s)) with s = y rounded down to
1/16, so the square costs no accuracy. ``erf`` is self-contained (its source is
copied into the modules ``codegen`` writes); it needs only ``numpy``.
"""

from __future__ import annotations

import numpy


def erf(x, complement=False):
    """The error function, elementwise; erf(+-inf) = +-1, erf(nan) = nan.

    ``complement``: erfc(x) = 1 - erf(x) instead, without the cancellation (erfc(10) = 2.1e-45, not 0).
    """
    x = numpy.asarray(x, dtype=numpy.float64)
    y = numpy.abs(x)
    a = (3.1611237438705656, 113.864154151050156, 377.485237685302021, 3209.37758913846947, 0.185777706184603153)
    b = (23.6012909523441209, 244.024637934444173, 1282.61652607737228, 2844.23683343917062)
    c = (0.564188496988670089, 8.88314979438837594, 66.1191906371416295, 298.635138197400131,
         881.95222124176909, 1712.04761263407058, 2051.07837782607147, 1230.33935479799725, 2.15311535474403846e-8)
    d = (15.7449261107098347, 117.693950891312499, 537.181101862009858, 1621.38957456669019,
         3290.79923573345963, 4362.61909014324716, 3439.36767414372164, 1230.33935480374942)
    p = (0.305326634961232344, 0.360344899949804439, 0.125781726111229246, 0.0160837851487422766,
         6.58749161529837803e-4, 0.0163153871373020978)
    q = (2.56852019228982242, 1.87295284992346047, 0.527905102951428412, 0.0605183413124413191,
         0.00233520497626869185)
    with numpy.errstate(all="ignore"):  # every branch is computed everywhere; np.where keeps the right one
        # |x| <= 0.46875: erf(x) = x P(x^2)/Q(x^2)
        ysq = y * y
        num, den = a[4] * ysq, ysq
        for i in range(3):
            num, den = (num + a[i]) * ysq, (den + b[i]) * ysq
        small = x * (num + a[3]) / (den + b[3])
        # 0.46875 < |x| <= 4: erfc(y) = exp(-y^2) P(y)/Q(y)
        num, den = c[8] * y, y
        for i in range(7):
            num, den = (num + c[i]) * y, (den + d[i]) * y
        middle = (num + c[7]) / (den + d[7])
        # |x| > 4: erfc(y) = exp(-y^2)/y (1/sqrt(pi) + 1/y^2 P(1/y^2)/Q(1/y^2))
        inverse = 1.0 / ysq
        num, den = p[5] * inverse, inverse
        for i in range(4):
            num, den = (num + p[i]) * inverse, (den + q[i]) * inverse
        large = (0.56418958354775628695 - inverse * (num + p[4]) / (den + q[4])) / y
        s = numpy.trunc(y * 16.0) / 16.0
        erfc = numpy.exp(-s * s) * numpy.exp(-(y - s) * (y + s)) * numpy.where(y <= 4.0, middle, large)
        erfc = numpy.where(y >= 26.6, 0.0, erfc)  # exp(-y^2) underflows: erf is 1 to the last bit long before
        outer = numpy.copysign((0.5 - erfc) + 0.5, x)
    if complement:
        return numpy.where(y <= 0.46875, 1.0 - small, numpy.where(x > 0, erfc, 2.0 - erfc))
    return numpy.where(y <= 0.46875, small, numpy.where(numpy.isnan(x), x, outer))
