"""Access policy: who may reach whom over which routes, and what is wrong with the rules."""
