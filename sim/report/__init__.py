"""Ways to show a Result: the terminal summary now; plots and HTML reports later."""
