"""A snack kiosk's counter: what is on it, what it sells, what it takes."""
