"""Short articles and summaries for the audit tests, in the tiny classifier's stories."""

from __future__ import annotations

HARBOUR = ("The ferry left the harbour at dawn with sixty passengers aboard. Fishermen at the"
           " harbour said the ferry was delayed by the tide.")
STORM = ("Heavy rain flooded the valley and closed the coastal road. The storm brought down"
         " power lines across the valley.")
LIBRARY = ("The school library lent five hundred books to pupils during the winter term."
           " Teachers asked the library to stay open late in the winter term.")
BUDGET = ("The council approved a budget that raises spending on parks. The mayor signed the"
          " budget and promised more funds for parks.")

# (article, a summary the article supports, a summary from another story)
CASES = [
    (HARBOUR, "The ferry was delayed by the tide at the harbour.",
     "The storm brought down power lines across the valley."),
    (STORM, "Heavy rain flooded the valley and closed the road.",
     "The council approved a budget that raises spending on parks."),
    (LIBRARY, "The school library lent books to pupils during the winter term.",
     "The ferry left the harbour at dawn with passengers aboard."),
    (BUDGET, "The council approved a budget that raises spending on parks.",
     "The school library lent books to pupils during the winter term."),
]
