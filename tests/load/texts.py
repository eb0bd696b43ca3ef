"""Customer messages the load benchmark sends (kept apart from the locustfile: importing locust patches the stdlib)."""

TEXTS = ["The export failed again and support has not answered.", "Thanks, the new dashboards are excellent.",
         "Could you send the invoice with our new VAT number?", "We are evaluating other vendors for next year.",
         "Adoption is growing in every team, great quarter."]
