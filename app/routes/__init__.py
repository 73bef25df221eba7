"""HTTP routes, one module per area: parse input, call a service, render or redirect."""
