"""The domain: rules and operations that the HTML views, the API and the CLI all call."""
