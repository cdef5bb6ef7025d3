"""Pages, one module per page family. Views stay thin: they call selectors and services and render."""
