@preflight @post-install
Feature: Nothing private is served to the public
  A release copied with its .git folder, an .env beside the code, an editor's
  backup of a page or the web server's status page open to anyone give away
  the source, the passwords or the visitors. None of them may answer.

  Scenario: Private files and server pages are not served
    Then nothing private should be public on the site
