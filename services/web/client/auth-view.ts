import { byId, describeError } from './dom.js'

export type AuthAction = 'login' | 'register'

const USERNAME = /^[A-Za-z0-9_.-]{3,32}$/

/** The sign-in form: one form, two submit buttons (log in, create account). */
export class AuthView {
  readonly #section = byId('auth')
  readonly #form = byId<HTMLFormElement>('auth-form')
  readonly #username = byId<HTMLInputElement>('auth-username')
  readonly #password = byId<HTMLInputElement>('auth-password')
  readonly #error = byId('auth-error')

  constructor (submit: (action: AuthAction, username: string, password: string) => Promise<void>) {
    this.#form.addEventListener('submit', (e) => {
      e.preventDefault()
      const submitter = (e as SubmitEvent).submitter
      const action: AuthAction = submitter instanceof HTMLButtonElement && submitter.value === 'register' ? 'register' : 'login'
      const username = this.#username.value.trim()
      const password = this.#password.value
      const problem = validate(action, username, password)
      if (problem !== undefined) {
        this.showError(problem.text)
        ;(problem.field === 'username' ? this.#username : this.#password).focus()
        return
      }
      this.showError('')
      this.#setBusy(true)
      submit(action, username, password).catch((err: unknown) => {
        this.showError(describeError(err))
        this.#password.focus()
      }).finally(() => this.#setBusy(false))
    })
  }

  show (message = ''): void {
    this.#section.hidden = false
    this.#password.value = ''
    this.showError(message)
    this.#username.focus()
  }

  hide (): void {
    this.#section.hidden = true
    this.showError('')
  }

  showError (text: string): void {
    this.#error.textContent = text
  }

  #setBusy (isBusy: boolean): void {
    for (const b of this.#form.querySelectorAll('button')) b.disabled = isBusy
    this.#form.setAttribute('aria-busy', String(isBusy))
  }
}

function validate (action: AuthAction, username: string, password: string): { field: 'username' | 'password', text: string } | undefined {
  if (!USERNAME.test(username)) return { field: 'username', text: 'A username is 3 to 32 letters, digits, _ . or -.' }
  if (password === '') return { field: 'password', text: 'Enter your password.' }
  if (action === 'register' && password.length < 8) return { field: 'password', text: 'A new password needs at least 8 characters.' }
  return undefined
}
