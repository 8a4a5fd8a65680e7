"""Grade a whole class: discover submissions, grade them in parallel, keep durable records, write a gradebook."""
