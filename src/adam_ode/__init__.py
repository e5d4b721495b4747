"""adam_ode: the mathematics of 'ODE approximation for the Adam algorithm' (Dereich, Jentzen,
Kassing, 2025), one module per concept: adam, schedule, erm, quadratic, vector_field, flow, checks."""

__version__ = "0.1.0"
