"""The Forecast dock: workload, engine, what-if, and charts of cost, latency and human load."""
