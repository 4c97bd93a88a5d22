"""The mentee (and mentor) web view: private pages of matched leads, served by `leads serve`."""
