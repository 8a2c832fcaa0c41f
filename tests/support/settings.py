"""Values of the tests' Settings, shared with the tests that start the app in their own processes."""

TEST_SECRET = "test-secret-key-that-is-long-enough-0123456789"
