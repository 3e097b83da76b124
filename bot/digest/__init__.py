"""The coordinators' weekly digest: whom to chase this week, then how the round is doing."""
